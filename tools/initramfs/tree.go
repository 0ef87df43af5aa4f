package initramfs

import (
	"fmt"
	"path"
	"strings"

	"retract/kernel/fs/cpio"
)

// kind is what a node is.
type kind int

const (
	kindDir kind = iota
	kindFile
	kindSymlink
)

func (k kind) String() string {
	return [...]string{"directory", "file", "symlink"}[k]
}

type node struct {
	kind   kind
	perm   uint32
	data   []byte // file contents or symlink target
	source string // where it came from, for error messages
}

// Tree is the contents of an image. The zero Tree is empty and ready.
type Tree struct {
	nodes map[string]*node // key: cleaned path without the leading "/"
}

// CleanPath checks an image path and returns it without the leading
// slash: it must be absolute, must not be "/" itself, and must not contain
// "." or ".." elements or empty elements.
func CleanPath(p string) (string, error) {
	if !strings.HasPrefix(p, "/") {
		return "", fmt.Errorf("image path %q is not absolute (want /like/this)", p)
	}
	rel := strings.TrimPrefix(p, "/")
	if rel == "" {
		return "", fmt.Errorf("image path %q: the root directory always exists", p)
	}
	for _, el := range strings.Split(rel, "/") {
		if el == "" || el == "." || el == ".." {
			return "", fmt.Errorf("image path %q: bad element %q (no //, . or ..)", p, el)
		}
	}
	if strings.ContainsRune(rel, 0) {
		return "", fmt.Errorf("image path %q contains NUL", p)
	}
	if len(rel) >= cpio.MaxNameSize {
		return "", fmt.Errorf("image path of %d bytes is too long", len(rel))
	}
	return rel, nil
}

func (t *Tree) add(p string, n *node) error {
	rel, err := CleanPath(p)
	if err != nil {
		return err
	}
	if t.nodes == nil {
		t.nodes = map[string]*node{}
	}
	// Parents first: each must be a directory (or become one).
	for d := path.Dir(rel); d != "."; d = path.Dir(d) {
		if old, ok := t.nodes[d]; ok {
			if old.kind != kindDir {
				return fmt.Errorf("/%s (from %s) needs /%s to be a directory, but it is a %s (from %s)", rel, n.source, d, old.kind, old.source)
			}
			break // its own parents were checked when it was added
		}
	}
	if old, ok := t.nodes[rel]; ok {
		if old.kind == kindDir && n.kind == kindDir {
			return nil
		}
		return fmt.Errorf("/%s is added twice: as a %s from %s and as a %s from %s", rel, old.kind, old.source, n.kind, n.source)
	}
	for d := path.Dir(rel); d != "."; d = path.Dir(d) {
		if _, ok := t.nodes[d]; ok {
			break
		}
		t.nodes[d] = &node{kind: kindDir, perm: 0o755, source: "parent of /" + rel}
	}
	t.nodes[rel] = n
	return nil
}

// Dir adds a directory (mode 0755).
func (t *Tree) Dir(p string) error {
	return t.add(p, &node{kind: kindDir, perm: 0o755, source: "a directory"})
}

// File adds a file with the given contents; executable chooses mode 0755
// over 0644. source describes where the data came from, for errors.
func (t *Tree) File(p string, data []byte, executable bool, source string) error {
	perm := uint32(0o644)
	if executable {
		perm = 0o755
	}
	return t.add(p, &node{kind: kindFile, perm: perm, data: data, source: source})
}

// Symlink adds a symbolic link p -> target.
func (t *Tree) Symlink(p, target string) error {
	if target == "" || len(target) >= cpio.MaxNameSize || strings.ContainsRune(target, 0) {
		return fmt.Errorf("symlink /%s: bad target %q", strings.TrimPrefix(p, "/"), target)
	}
	return t.add(p, &node{kind: kindSymlink, perm: 0o777, data: []byte(target), source: "symlink to " + target})
}

// Paths returns the image's paths, sorted, with their leading slash.
func (t *Tree) Paths() []string {
	var ps []string
	for _, rel := range t.sorted() {
		ps = append(ps, "/"+rel)
	}
	return ps
}
