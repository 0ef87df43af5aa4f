package cmdline

import "strconv"

// Level is a console log level, set by log=LEVEL. Levels are ordered: a
// message at level m is printed when m <= the configured level. The zero
// Level is LevelInfo, the default.
type Level int

// The log levels, from quietest to noisiest.
const (
	LevelError Level = iota - 2
	LevelWarn
	LevelInfo
	LevelDebug
)

var levelNames = [...]string{"error", "warn", "info", "debug"}

// String returns the name used on the command line, such as "info".
func (l Level) String() string {
	if l >= LevelError && l <= LevelDebug {
		return levelNames[l-LevelError]
	}
	return "Level(" + strconv.Itoa(int(l)) + ")"
}

// Enabled reports whether a message at level m is printed when the
// configured level is l.
func (l Level) Enabled(m Level) bool { return m <= l }

// ParseLevel returns the Level named s (error, warn, info or debug).
func ParseLevel(s string) (Level, bool) {
	for i, name := range levelNames {
		if s == name {
			return LevelError + Level(i), true
		}
	}
	return 0, false
}
