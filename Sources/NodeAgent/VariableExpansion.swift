/// Kubernetes' `$(VAR)` references in a container's command, args and env values: a defined variable is replaced,
/// an undefined one is left as written, and `$$` stands for a literal `$` (so `$$(VAR)` is the text `$(VAR)`).
enum VariableExpansion {
    static func expand(_ input: String, _ lookup: (String) -> String?) -> String {
        let characters = Array(input)
        var output = ""
        var index = 0
        while index < characters.count {
            let character = characters[index]
            guard character == "$", index + 1 < characters.count else {
                output.append(character)
                index += 1
                continue
            }
            let next = characters[index + 1]
            if next == "$" {
                output.append("$")
                index += 2
            } else if next == "(", let close = characters[(index + 2)...].firstIndex(of: ")") {
                let name = String(characters[(index + 2)..<close])
                output += lookup(name) ?? "$(\(name))"
                index = close + 1
            } else {
                // Not a reference (`$x`, or `$(` never closed): kept as written.
                output.append("$")
                output.append(next)
                index += 2
            }
        }
        return output
    }
}
