// Package cpio reads and writes cpio archives in the "newc" format, the
// format of Linux initramfs images ("070701", and "070702" with a data
// checksum). It owns the on-disk format only: no file system, no
// decompression, and no imports beyond the standard library's fmt and io,
// so that the kernel can use [Reader] on an initramfs it finds in memory.
//
// # Reading
//
// [NewReader] takes the whole archive as a byte slice. [Reader.Next]
// returns one [Entry] at a time: its header fields, its name, and its data
// as a sub-slice of the archive (never a copy; one allocation per entry, for
// the name string). Next returns io.EOF after the "TRAILER!!!" entry. Every
// malformed input — bad magic, a non-hex digit, a name without its NUL, a
// size that runs past the end, a non-zero padding byte, a missing trailer —
// gives an [*Error] that names the offset and the problem; the Reader never
// panics and never slices out of bounds (FuzzReader checks this).
//
// An initramfs may be several archives back to back (Linux unpacks each in
// turn, skipping NUL padding between them); [Reader.Offset] tells where the
// bytes after the trailer start.
//
// A gzip-compressed archive (such as my.cpio.gz) is the caller's
// business: decompress it first, e.g. with compress/gzip:
//
//	zr, err := gzip.NewReader(bytes.NewReader(gz))
//	...
//	raw, err := io.ReadAll(zr)
//	r := cpio.NewReader(raw)
//
// # Writing
//
// [Writer] appends entries — [Writer.File], [Writer.Dir], [Writer.Symlink],
// or any [Header] with [Writer.Add] — and [Writer.Close] writes the trailer.
// It assigns inode numbers 1, 2, 3, ... in order, so the same sequence of
// calls always gives the same bytes.
//
// # The format
//
// Each entry is a 110-byte ASCII header — the 6-byte magic and thirteen
// 8-digit hexadecimal fields: ino, mode, uid, gid, nlink, mtime, filesize,
// devmajor, devminor, rdevmajor, rdevminor, namesize, check — then the
// name with its terminating NUL (namesize counts it), NUL padding to a
// multiple of 4 bytes (counted from the start of the archive), filesize
// bytes of data (a symlink's data is its target), and NUL padding to a
// multiple of 4 again. The last entry is named "TRAILER!!!".
package cpio
