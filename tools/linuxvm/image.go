package linuxvm

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"retract/tools/initramfs"
)

// Image describes a test initramfs.
type Image struct {
	Init     string            // host path of user/init, installed as /bin/init with /init -> /bin/init
	Programs map[string]string // image path -> host path, e.g. "/bin/mmbench": "build/user/mmbench"
	Cmd      string            // the command line init runs (/etc/init.cmd)
	Fstab    string            // /etc/fstab contents, if any
}

// BuildImage writes img to out as a newc archive, gzip'd if out ends in
// ".gz" (initramfs.Tree.WriteAs).
func BuildImage(out string, img Image) error {
	var t initramfs.Tree
	for _, d := range []string{"/proc", "/sys", "/dev", "/tmp", "/etc"} {
		if err := t.Dir(d); err != nil {
			return err
		}
	}
	if err := t.HostFile("/bin/init", img.Init); err != nil {
		return fmt.Errorf("init: %w", err)
	}
	if err := t.Symlink("/init", "/bin/init"); err != nil {
		return err
	}
	paths := make([]string, 0, len(img.Programs))
	for p := range img.Programs {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		if err := t.HostFile(p, img.Programs[p]); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
	}
	if img.Cmd != "" {
		if err := t.File("/etc/init.cmd", []byte(img.Cmd+"\n"), false, "the command"); err != nil {
			return err
		}
	}
	if img.Fstab != "" {
		if err := t.File("/etc/fstab", []byte(img.Fstab), false, "fstab"); err != nil {
			return err
		}
	}
	var buf bytes.Buffer
	if err := t.WriteAs(&buf, out); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	tmp := out + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, out)
}

// MMBenchImage is the image `make bench-linux` and `make bench-compare`
// boot: user/init (from userDir) running "mmbench -cpus N ARGS" from
// /bin/mmbench. It returns the command too, for messages.
func MMBenchImage(userDir string, cpus int, args string) (Image, string) {
	cmd := strings.Join(strings.Fields(fmt.Sprintf("mmbench -cpus %d %s", cpus, args)), " ")
	return Image{
		Init:     filepath.Join(userDir, "init"),
		Programs: map[string]string{"/bin/mmbench": filepath.Join(userDir, "mmbench")},
		Cmd:      cmd,
	}, cmd
}
