package initramfs

import (
	"compress/gzip"
	"io"
	"sort"

	"retract/kernel/fs/cpio"
)

func (t *Tree) sorted() []string {
	rels := make([]string, 0, len(t.nodes))
	for rel := range t.nodes {
		rels = append(rels, rel)
	}
	// A path sorts before every path it is a prefix of, so parents come
	// before their children.
	sort.Strings(rels)
	return rels
}

// WriteCPIO writes the tree as an uncompressed newc archive.
func (t *Tree) WriteCPIO(w io.Writer) error {
	cw := cpio.NewWriter(w)
	for _, rel := range t.sorted() {
		n := t.nodes[rel]
		var err error
		switch n.kind {
		case kindDir:
			err = cw.Dir(rel, n.perm)
		case kindFile:
			err = cw.File(rel, n.perm, n.data)
		case kindSymlink:
			err = cw.Symlink(rel, string(n.data))
		}
		if err != nil {
			return err
		}
	}
	return cw.Close()
}

// WriteGzip writes the archive gzip-compressed (best compression, no name
// or time in the gzip header, so the bytes depend only on the tree).
func (t *Tree) WriteGzip(w io.Writer) error {
	zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	if err := t.WriteCPIO(zw); err != nil {
		return err
	}
	return zw.Close()
}
