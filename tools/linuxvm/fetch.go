package linuxvm

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// MetaPackage is the Debian package that names the current cloud kernel.
const MetaPackage = "linux-image-cloud-amd64"

// DefaultDir is where Fetch keeps the kernel.
const DefaultDir = "build/linux"

// Kernel is a fetched Linux kernel.
type Kernel struct {
	Vmlinuz string // the bzImage
	Config  string // its build configuration
	Package string // e.g. linux-image-6.1.0-57-cloud-amd64
	Version string // the package version, e.g. 6.1.192-3
}

func (k Kernel) String() string { return k.Package + " " + k.Version }

// Fetch returns the kernel cached in dir, or downloads it there first.
// Progress messages go to log.
func Fetch(dir string, log io.Writer) (Kernel, error) {
	k := Kernel{Vmlinuz: filepath.Join(dir, "vmlinuz"), Config: filepath.Join(dir, "config")}
	stamp := filepath.Join(dir, "kernel.txt")
	if b, err := os.ReadFile(stamp); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 && exists(k.Vmlinuz) && exists(k.Config) {
			k.Package, k.Version = f[0], f[1]
			return k, nil
		}
	}
	for _, tool := range []string{"apt-get", "dpkg-deb"} {
		if _, err := exec.LookPath(tool); err != nil {
			return k, fmt.Errorf("fetching the Linux kernel needs %s (a Debian or Ubuntu host)", tool)
		}
	}
	dl := filepath.Join(dir, "download")
	if err := os.MkdirAll(dl, 0o755); err != nil {
		return k, err
	}
	defer os.RemoveAll(dl)

	fmt.Fprintf(log, "linuxvm: apt-get download %s (into %s; not installed)\n", MetaPackage, dl)
	meta, err := download(dl, MetaPackage, log)
	if err != nil {
		return k, err
	}
	deps, err := output("dpkg-deb", "-f", meta, "Depends")
	if err != nil {
		return k, err
	}
	k.Package, k.Version, err = imageDependency(deps)
	if err != nil {
		return k, fmt.Errorf("%s: %v", meta, err)
	}
	fmt.Fprintf(log, "linuxvm: apt-get download %s=%s\n", k.Package, k.Version)
	deb, err := download(dl, k.Package+"="+k.Version, log)
	if err != nil {
		return k, err
	}
	if err := extractBoot(deb, k); err != nil {
		return k, err
	}
	if err := os.WriteFile(stamp, []byte(k.Package+" "+k.Version+"\n"), 0o644); err != nil {
		return k, err
	}
	fmt.Fprintf(log, "linuxvm: %s: %s\n", k, k.Vmlinuz)
	return k, nil
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// download runs `apt-get download spec` in dir and returns the .deb. If
// apt knows no such package and we are root, it runs apt-get update once
// and tries again.
func download(dir, spec string, log io.Writer) (string, error) {
	run := func() ([]byte, error) {
		cmd := exec.Command("apt-get", "download", "-q", spec)
		cmd.Dir = dir
		return cmd.CombinedOutput()
	}
	out, err := run()
	if err != nil && os.Geteuid() == 0 {
		fmt.Fprintf(log, "linuxvm: apt-get download failed; running apt-get update\n")
		upd := exec.Command("apt-get", "update", "-qq")
		upd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		if uout, uerr := upd.CombinedOutput(); uerr != nil {
			return "", fmt.Errorf("apt-get update: %v\n%s", uerr, uout)
		}
		out, err = run()
	}
	if err != nil {
		hint := ""
		if os.Geteuid() != 0 {
			hint = " (if apt knows no such package, run: sudo apt-get update)"
		}
		return "", fmt.Errorf("apt-get download %s: %v%s\n%s", spec, err, hint, out)
	}
	name, _, _ := strings.Cut(spec, "=")
	m, _ := filepath.Glob(filepath.Join(dir, name+"_*.deb"))
	if len(m) != 1 {
		return "", fmt.Errorf("apt-get download %s left %d matching .deb files in %s", spec, len(m), dir)
	}
	return m[0], nil
}

func output(name string, args ...string) (string, error) {
	var stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, stderr.String())
	}
	return string(out), nil
}

// imageDependency finds the versioned kernel image in a Depends field,
// e.g. "linux-image-6.1.0-57-cloud-amd64 (= 6.1.192-3)".
func imageDependency(depends string) (pkg, version string, err error) {
	for _, d := range strings.Split(depends, ",") {
		d = strings.TrimSpace(d)
		name, rest, _ := strings.Cut(d, " ")
		if !strings.HasPrefix(name, "linux-image-") || name == MetaPackage {
			continue
		}
		rest = strings.TrimSpace(rest)
		if v, ok := strings.CutPrefix(rest, "(="); ok && strings.HasSuffix(v, ")") {
			return name, strings.TrimSpace(strings.TrimSuffix(v, ")")), nil
		}
		return "", "", fmt.Errorf("dependency %q has no exact version", d)
	}
	return "", "", fmt.Errorf("no linux-image-* package in Depends %q", strings.TrimSpace(depends))
}

// extractBoot copies boot/vmlinuz-* and boot/config-* out of the
// package's file system tree (dpkg-deb --fsys-tarfile) to k's paths.
func extractBoot(deb string, k Kernel) error {
	cmd := exec.Command("dpkg-deb", "--fsys-tarfile", deb)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	found, err := copyBootFiles(stdout, k)
	io.Copy(io.Discard, stdout)
	if werr := cmd.Wait(); werr != nil && err == nil {
		err = fmt.Errorf("dpkg-deb --fsys-tarfile %s: %v: %s", deb, werr, stderr.String())
	}
	if err != nil {
		return err
	}
	if found != 2 {
		return fmt.Errorf("%s has no boot/vmlinuz-* and boot/config-*", deb)
	}
	return nil
}

// copyBootFiles reads a tar stream and writes its boot/vmlinuz-* and
// boot/config-* to k.Vmlinuz and k.Config; it returns how many it wrote.
func copyBootFiles(r io.Reader, k Kernel) (int, error) {
	tr := tar.NewReader(r)
	found := 0
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return found, nil
		}
		if err != nil {
			return found, err
		}
		name := strings.TrimPrefix(h.Name, "./")
		var dst string
		switch {
		case strings.HasPrefix(name, "boot/vmlinuz-"):
			dst = k.Vmlinuz
		case strings.HasPrefix(name, "boot/config-"):
			dst = k.Config
		default:
			continue
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return found, err
		}
		tmp := dst + ".tmp"
		if err := os.WriteFile(tmp, data, 0o644); err != nil {
			return found, err
		}
		if err := os.Rename(tmp, dst); err != nil {
			return found, err
		}
		found++
	}
}
