// render.go: choosing a rendering by name.

package timeline

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

// Formats names the renderings: Chrome JSON, SVG, the text lane view, and
// the timeline format itself.
var Formats = []string{"json", "svg", "txt", "trace"}

// Render writes t in the named format (one of Formats).
func (t *Trace) Render(w io.Writer, format string) error {
	switch format {
	case "json":
		return t.WriteChrome(w)
	case "svg":
		return t.WriteSVG(w)
	case "txt":
		return t.WriteLanes(w)
	case "trace":
		return t.WriteText(w)
	}
	return fmt.Errorf("timeline: unknown format %q (one of %s)", format, strings.Join(Formats, ", "))
}

// FormatOf returns the format that a file name's extension asks for:
// ".json", ".svg", ".txt" or ".trace" without the dot, else def.
func FormatOf(path, def string) string {
	ext := strings.TrimPrefix(filepath.Ext(path), ".")
	for _, f := range Formats {
		if ext == f {
			return f
		}
	}
	return def
}
