/// Go's `sort.SliceStable`: insertion-sorted blocks of 20, then in-place SymMerge.
///
/// Strategic merge patch orders list items with a comparator that is not a strict weak order (an item missing
/// from the order list is "less" than anything), so Kubernetes' result depends on the exact algorithm; this
/// reproduces it step for step instead of relying on Swift's sort.
enum GoStableSort {
    static func sort<Element>(_ data: inout [Element], by less: (Element, Element) -> Bool) {
        let count = data.count
        var blockSize = 20
        var start = 0
        var end = blockSize
        while end <= count {
            insertionSort(&data, start, end, less)
            start = end
            end += blockSize
        }
        insertionSort(&data, start, count, less)

        while blockSize < count {
            start = 0
            end = 2 * blockSize
            while end <= count {
                symMerge(&data, start, start + blockSize, end, less)
                start = end
                end += 2 * blockSize
            }
            let middle = start + blockSize
            if middle < count {
                symMerge(&data, start, middle, count, less)
            }
            blockSize *= 2
        }
    }

    private static func insertionSort<Element>(
        _ data: inout [Element], _ start: Int, _ end: Int, _ less: (Element, Element) -> Bool
    ) {
        var i = start + 1
        while i < end {
            var j = i
            while j > start && less(data[j], data[j - 1]) {
                data.swapAt(j, j - 1)
                j -= 1
            }
            i += 1
        }
    }

    /// Merges the sorted runs `data[a..<m]` and `data[m..<b]` (Kim and Kutzner's SymMerge, as in Go).
    private static func symMerge<Element>(
        _ data: inout [Element], _ a: Int, _ m: Int, _ b: Int, _ less: (Element, Element) -> Bool
    ) {
        if m - a == 1 {
            var i = m
            var j = b
            while i < j {
                let h = (i + j) / 2
                if less(data[h], data[a]) { i = h + 1 } else { j = h }
            }
            var k = a
            while k < i - 1 {
                data.swapAt(k, k + 1)
                k += 1
            }
            return
        }
        if b - m == 1 {
            var i = a
            var j = m
            while i < j {
                let h = (i + j) / 2
                if !less(data[m], data[h]) { i = h + 1 } else { j = h }
            }
            var k = m
            while k > i {
                data.swapAt(k, k - 1)
                k -= 1
            }
            return
        }
        let mid = (a + b) / 2
        let n = mid + m
        var start: Int
        var r: Int
        if m > mid {
            start = n - b
            r = mid
        } else {
            start = a
            r = m
        }
        let p = n - 1
        while start < r {
            let c = (start + r) / 2
            if !less(data[p - c], data[c]) { start = c + 1 } else { r = c }
        }
        let end = n - start
        if start < m && m < end {
            rotate(&data, start, m, end)
        }
        if a < start && start < mid {
            symMerge(&data, a, start, mid, less)
        }
        if mid < end && end < b {
            symMerge(&data, mid, end, b, less)
        }
    }

    /// Swaps the blocks `data[a..<m]` and `data[m..<b]`.
    private static func rotate<Element>(_ data: inout [Element], _ a: Int, _ m: Int, _ b: Int) {
        var i = m - a
        var j = b - m
        while i != j {
            if i > j {
                swapRange(&data, m - i, m, j)
                i -= j
            } else {
                swapRange(&data, m - i, m + j - i, i)
                j -= i
            }
        }
        swapRange(&data, m - i, m, i)
    }

    private static func swapRange<Element>(_ data: inout [Element], _ a: Int, _ b: Int, _ count: Int) {
        for offset in 0..<count {
            data.swapAt(a + offset, b + offset)
        }
    }
}
