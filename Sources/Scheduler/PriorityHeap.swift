/// A binary heap: `pop` returns the element that orders first by `isBefore`.
struct PriorityHeap<Element> {
    private var elements: [Element] = []
    private let isBefore: (Element, Element) -> Bool

    init(isBefore: @escaping (Element, Element) -> Bool) {
        self.isBefore = isBefore
    }

    var count: Int { elements.count }
    var isEmpty: Bool { elements.isEmpty }

    mutating func push(_ element: Element) {
        elements.append(element)
        var child = elements.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard isBefore(elements[child], elements[parent]) else { break }
            elements.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Element? {
        guard !elements.isEmpty else { return nil }
        elements.swapAt(0, elements.count - 1)
        let top = elements.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var first = parent
            if left < elements.count && isBefore(elements[left], elements[first]) { first = left }
            if right < elements.count && isBefore(elements[right], elements[first]) { first = right }
            guard first != parent else { break }
            elements.swapAt(parent, first)
            parent = first
        }
        return top
    }
}
