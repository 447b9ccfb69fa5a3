/// "Did you mean" suggestions for misspelt keys and values.
enum Suggestion {
    /// Suggestions are offered up to this edit distance.
    static let maxDistance = 2

    /// `unknown key 'core-mak'; did you mean 'core-mask'?`, or the list of known keys.
    static func unknownKeyMessage(_ name: String, known: [String]) -> String {
        if let close = closest(to: name, in: known) { return "unknown key '\(name)'; did you mean '\(close)'?" }
        return "unknown key '\(name)'; known keys: \(known.joined(separator: ", "))"
    }

    /// The candidate nearest to `word`, when it is within `maxDistance` edits.
    static func closest(to word: String, in candidates: [String]) -> String? {
        let scored = candidates.map { (candidate: $0, distance: editDistance(word, $0)) }
        guard let best = scored.min(by: { $0.distance < $1.distance }), best.distance <= maxDistance else { return nil }
        return best.candidate
    }

    /// Levenshtein distance (insertions, deletions, substitutions).
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
