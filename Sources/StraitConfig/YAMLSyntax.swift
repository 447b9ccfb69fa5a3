import Yams

/// Turns Yams' errors into a position and a sentence.
enum YAMLSyntax {
    static func describe(_ error: Error, text: String) -> (position: (line: Int, column: Int)?, message: String) {
        guard let yamlError = error as? YamlError else { return (nil, "cannot parse YAML: \(error)") }
        switch yamlError {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            var message = "YAML syntax error: \(problem)"
            if let context {
                message += " (\(context.text), from line \(context.mark.line) column \(context.mark.column))"
            }
            return ((mark.line, mark.column), message)
        case let .reader(problem, offset, _, _):
            return (offset.map { position(atCharacterOffset: $0, in: text) }, "cannot read the text: \(problem)")
        default:
            return (nil, "cannot parse YAML: \(yamlError)")
        }
    }

    private static func position(atCharacterOffset offset: Int, in text: String) -> (line: Int, column: Int) {
        var line = 1, column = 1
        for character in text.prefix(max(0, offset)) {
            if character == "\n" { line += 1; column = 1 } else { column += 1 }
        }
        return (line, column)
    }
}
