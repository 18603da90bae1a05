/// `helper.DefaultNormalizeScore`: scales scores so the highest becomes 100; `reverse` turns fewest into best.
enum ScoreNormalization {
    static func normalize(_ scores: inout [Int64], reverse: Bool) {
        let maximum = scores.max() ?? 0
        let top = NodeResourcesFit.maxNodeScore
        guard maximum != 0 else {
            if reverse {
                for position in scores.indices { scores[position] = top }
            }
            return
        }
        for position in scores.indices {
            let scaled = top * scores[position] / maximum
            scores[position] = reverse ? top - scaled : scaled
        }
    }
}
