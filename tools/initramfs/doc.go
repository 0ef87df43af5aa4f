// Package initramfs owns the contents of an initramfs image built on the
// host: a [Tree] of files, directories and symlinks, added from memory or
// from host paths, written as a newc cpio archive (retract/kernel/fs/cpio)
// and optionally gzip-compressed — what tools/mkinitramfs, `make
// initramfs` and the Linux VM harness (tools/linuxvm) put in front of a
// kernel.
//
// The output is deterministic: entries are written sorted by path
// (parents before children), every mtime is 0, every owner is root, and
// permissions are normalised (directories 0755, files 0755 if the host
// file has any execute bit, else 0644; symlinks 0777). The same inputs
// therefore give the same bytes, compressed or not.
//
// Paths are absolute inside the image ("/bin/mmbench") and are stored
// without the leading slash, as Linux's own gen_init_cpio does. Missing
// parent directories are added automatically. Adding the same path twice
// is an error unless both are directories.
package initramfs
