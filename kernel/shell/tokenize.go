package shell

import "errors"

var errUnterminated = errors.New("unterminated quote")

// tokenize splits a command line into words separated by spaces or tabs.
// Double quotes group text, spaces included, into one word and are removed
// ("" is an empty word; a"b c"d is the word "ab cd"). There are no escapes.
func tokenize(line string) ([]string, error) {
	var (
		words   []string
		cur     []byte
		inWord  bool
		inQuote bool
	)
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case inQuote && c == '"':
			inQuote = false
		case inQuote:
			cur = append(cur, c)
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			if inWord {
				words = append(words, string(cur))
				cur, inWord = cur[:0], false
			}
		case c == '"':
			inQuote, inWord = true, true
		default:
			cur, inWord = append(cur, c), true
		}
	}
	if inQuote {
		return nil, errUnterminated
	}
	if inWord {
		words = append(words, string(cur))
	}
	return words, nil
}
