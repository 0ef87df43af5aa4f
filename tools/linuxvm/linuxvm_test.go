package linuxvm

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"retract/kernel/fs/cpio"
)

func TestImageDependency(t *testing.T) {
	pkg, ver, err := imageDependency("linux-image-6.1.0-57-cloud-amd64 (= 6.1.192-3)\n")
	if err != nil || pkg != "linux-image-6.1.0-57-cloud-amd64" || ver != "6.1.192-3" {
		t.Errorf("%q %q %v", pkg, ver, err)
	}
	pkg, ver, err = imageDependency("initramfs-tools, linux-image-6.1.0-9-cloud-amd64 (= 6.1.27-1)")
	if err != nil || pkg != "linux-image-6.1.0-9-cloud-amd64" || ver != "6.1.27-1" {
		t.Errorf("second dependency: %q %q %v", pkg, ver, err)
	}
	if _, _, err := imageDependency("linux-image-6.1.0-57-cloud-amd64"); err == nil {
		t.Error("no version accepted")
	}
	if _, _, err := imageDependency("libc6 (>= 2.36)"); err == nil {
		t.Error("no image accepted")
	}
}

func TestMissingConfig(t *testing.T) {
	var b strings.Builder
	for _, k := range RequiredConfig {
		b.WriteString(k + "=y\n")
	}
	if m := missingConfig(b.String()); len(m) != 0 {
		t.Errorf("all set, missing %q", m)
	}
	text := strings.Replace(b.String(), "CONFIG_MEMFD_CREATE=y", "# CONFIG_MEMFD_CREATE is not set", 1)
	text = strings.Replace(text, "CONFIG_SERIAL_8250=y", "CONFIG_SERIAL_8250=m", 1)
	m := missingConfig(text)
	if strings.Join(m, ";") != "CONFIG_MEMFD_CREATE (not set);CONFIG_SERIAL_8250 (m)" {
		t.Errorf("missing %q", m)
	}
}

func TestCopyBootFiles(t *testing.T) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	add := func(name, data string, typ byte) {
		tw.WriteHeader(&tar.Header{Name: name, Size: int64(len(data)), Typeflag: typ, Mode: 0o644})
		tw.Write([]byte(data))
	}
	add("./boot/", "", tar.TypeDir)
	add("./boot/System.map-6.1.0-57-cloud-amd64", "map", tar.TypeReg)
	add("./boot/config-6.1.0-57-cloud-amd64", "CONFIG_X=y\n", tar.TypeReg)
	add("./boot/vmlinuz-6.1.0-57-cloud-amd64", "MZbzImage", tar.TypeReg)
	add("./lib/modules/x.ko", "ko", tar.TypeReg)
	tw.Close()
	dir := t.TempDir()
	k := Kernel{Vmlinuz: filepath.Join(dir, "vmlinuz"), Config: filepath.Join(dir, "config")}
	n, err := copyBootFiles(&buf, k)
	if err != nil || n != 2 {
		t.Fatalf("%d files, %v", n, err)
	}
	if b, _ := os.ReadFile(k.Vmlinuz); string(b) != "MZbzImage" {
		t.Errorf("vmlinuz %q", b)
	}
	if b, _ := os.ReadFile(k.Config); string(b) != "CONFIG_X=y\n" {
		t.Errorf("config %q", b)
	}
}

// A cached kernel is used without running apt-get (PATH is empty).
func TestFetchUsesCache(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "vmlinuz"), []byte("k"), 0o644)
	os.WriteFile(filepath.Join(dir, "config"), []byte("c"), 0o644)
	os.WriteFile(filepath.Join(dir, "kernel.txt"), []byte("linux-image-6.1.0-57-cloud-amd64 6.1.192-3\n"), 0o644)
	t.Setenv("PATH", "")
	var log bytes.Buffer
	k, err := Fetch(dir, &log)
	if err != nil || k.Package != "linux-image-6.1.0-57-cloud-amd64" || k.Version != "6.1.192-3" || log.Len() != 0 {
		t.Errorf("%+v %v %q", k, err, log.String())
	}
	os.Remove(filepath.Join(dir, "vmlinuz"))
	if _, err := Fetch(dir, &log); err == nil || !strings.Contains(err.Error(), "apt-get") {
		t.Errorf("no cache and no apt-get: %v", err)
	}
}

const sampleLog = "[    0.000000] Linux version 6.1.0-57-cloud-amd64\r\n" +
	"init: running [\"/bin/mmbench\" \"-quick\"] at 3.38 s uptime\r\n" +
	"user_anon_fault_per_s 30625.9 /s\r\n" +
	"# anon faults: using 108 MiB each\r\n" +
	"user_null_syscall_ns 2197.72 ns\r\n" +
	"not a result line at all\r\n" +
	"init: exit status 0\r\n" +
	"[    7.898035] reboot: Power down\r\n"

func TestOutputParsing(t *testing.T) {
	log := []byte(sampleLog)
	if r := Results(log); strings.Join(r, "|") != "user_anon_fault_per_s 30625.9 /s|user_null_syscall_ns 2197.72 ns" {
		t.Errorf("results %q", r)
	}
	if st := Marker(log); !st.OK() || st.String() != "exit status 0" {
		t.Errorf("marker %+v", st)
	}
	if up, ok := InitUptime(log); !ok || up != 3.38 {
		t.Errorf("uptime %v %v", up, ok)
	}
	if st := Marker([]byte("init: exit status 3\n")); st.OK() || st.Exit != 3 {
		t.Errorf("exit 3: %+v", st)
	}
	if st := Marker([]byte("init: killed by signal 11 (segmentation fault)\n")); st.OK() || st.Signal != 11 || st.String() != "killed by signal 11" {
		t.Errorf("signal: %+v", st)
	}
	if st := Marker([]byte("Kernel panic - not syncing\n")); st.Found || st.OK() {
		t.Errorf("no marker: %+v", st)
	}
	if l := Lines(nil); l != nil {
		t.Errorf("Lines(nil) = %q", l)
	}
}

func TestBuildImage(t *testing.T) {
	dir := t.TempDir()
	initBin := filepath.Join(dir, "init")
	prog := filepath.Join(dir, "prog")
	os.WriteFile(initBin, []byte("INIT"), 0o755)
	os.WriteFile(prog, []byte("PROG"), 0o755)
	out := filepath.Join(dir, "img.cpio.gz")
	err := BuildImage(out, Image{Init: initBin, Programs: map[string]string{"/bin/prog": prog}, Cmd: "prog -x", Fstab: "tmpfs /mnt tmpfs huge=advise\n"})
	if err != nil {
		t.Fatal(err)
	}
	gz, _ := os.ReadFile(out)
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(zr)
	got := map[string]string{}
	if err := cpio.NewReader(raw).All(func(e *cpio.Entry) error { got[e.Name] = string(e.Data); return nil }); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"bin": "", "bin/init": "INIT", "bin/prog": "PROG", "init": "/bin/init", "dev": "", "proc": "", "sys": "", "tmp": "",
		"etc": "", "etc/init.cmd": "prog -x\n", "etc/fstab": "tmpfs /mnt tmpfs huge=advise\n"}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s = %q (present %v), want %q", k, g, ok, v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("entries %v", got)
	}
}

func TestParseResults(t *testing.T) {
	r := ParseResults([]byte(sampleLog))
	if len(r) != 2 || r[0] != (Result{"user_anon_fault_per_s", 30625.9, "/s"}) || r[1] != (Result{"user_null_syscall_ns", 2197.72, "ns"}) {
		t.Errorf("%+v", r)
	}
	for _, l := range []string{"x 1e3 us", "Bad 1 us", "x 1 2 us", "x - us", "x 1"} {
		r, ok := ParseResult(l)
		if ok != (l == "x 1e3 us") || (ok && r.Value != 1000) {
			t.Errorf("ParseResult(%q) = %+v, %v", l, r, ok)
		}
	}
}

func TestMMBenchImage(t *testing.T) {
	img, cmd := MMBenchImage("build/user", 2, " -quick ")
	if cmd != "mmbench -cpus 2 -quick" || img.Cmd != cmd || img.Init != "build/user/init" ||
		len(img.Programs) != 1 || img.Programs["/bin/mmbench"] != "build/user/mmbench" {
		t.Errorf("%+v %q", img, cmd)
	}
}

func TestKernelsSetup(t *testing.T) {
	dir := t.TempDir()
	elf := filepath.Join(dir, "kernel.elf")
	os.WriteFile(elf, []byte("ELF"), 0o644)
	ks := Kernels{LinuxDir: dir, RetractELF: elf, RetractAppend: "khugepaged=on"}
	r := Run{Append: "log=debug"}
	what, err := ks.Setup(&r, Retract, io.Discard)
	if err != nil || r.Guest != "retract" || r.Kernel != elf || r.Append != "init=/bin/init khugepaged=on log=debug" || what != "retract "+elf {
		t.Errorf("retract: %+v %q %v", r, what, err)
	}
	// Linux from the cache (as TestFetchUsesCache), with a config that has everything.
	var cfg strings.Builder
	for _, k := range RequiredConfig {
		cfg.WriteString(k + "=y\n")
	}
	os.WriteFile(filepath.Join(dir, "vmlinuz"), []byte("k"), 0o644)
	os.WriteFile(filepath.Join(dir, "config"), []byte(cfg.String()), 0o644)
	os.WriteFile(filepath.Join(dir, "kernel.txt"), []byte("linux-image-6.1.0-57-cloud-amd64 6.1.192-3\n"), 0o644)
	r = Run{}
	what, err = ks.Setup(&r, Linux, io.Discard)
	if err != nil || r.Guest != "linux" || r.Kernel != filepath.Join(dir, "vmlinuz") || r.Append != "" || what != "Linux linux-image-6.1.0-57-cloud-amd64 6.1.192-3" {
		t.Errorf("linux: %+v %q %v", r, what, err)
	}
	if _, err := (Kernels{RetractELF: filepath.Join(dir, "none")}).Setup(&r, Retract, io.Discard); err == nil {
		t.Error("missing kernel.elf accepted")
	}
	if _, err := ks.Setup(&r, "bsd", io.Discard); err == nil {
		t.Error("unknown kernel accepted")
	}
}

func TestKernelsOn(t *testing.T) {
	for on, want := range map[string]string{"linux": "linux", "retract": "retract", "both": "linux retract"} {
		if k, err := KernelsOn(on); err != nil || strings.Join(k, " ") != want {
			t.Errorf("KernelsOn(%q) = %v, %v; want %s", on, k, err, want)
		}
	}
	if _, err := KernelsOn("bsd"); err == nil {
		t.Errorf("KernelsOn(bsd) did not fail")
	}
}
