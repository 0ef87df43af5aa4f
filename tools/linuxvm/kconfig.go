package linuxvm

import (
	"fmt"
	"os"
	"strings"
)

// RequiredConfig lists the options a Linux kernel must have built in
// (=y) for the side-by-side runs: THP and MADV_COLLAPSE, memfd and shmem
// (the memfd benchmarks, the selftest's shmem and tmpfs cases), the
// serial console, a gzip'd initramfs, and what user/init mounts.
var RequiredConfig = []string{
	"CONFIG_TRANSPARENT_HUGEPAGE",
	"CONFIG_MEMFD_CREATE",
	"CONFIG_SHMEM",
	"CONFIG_TMPFS",
	"CONFIG_SERIAL_8250",
	"CONFIG_SERIAL_8250_CONSOLE",
	"CONFIG_BLK_DEV_INITRD",
	"CONFIG_RD_GZIP",
	"CONFIG_DEVTMPFS",
	"CONFIG_PROC_FS",
	"CONFIG_SYSFS",
}

// CheckConfig reads a kernel config file and reports every required
// option that is not =y.
func CheckConfig(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if missing := missingConfig(string(b)); len(missing) > 0 {
		return fmt.Errorf("%s lacks %s", path, strings.Join(missing, ", "))
	}
	return nil
}

func missingConfig(text string) []string {
	set := map[string]string{}
	for _, l := range strings.Split(text, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(l), "="); ok && strings.HasPrefix(k, "CONFIG_") {
			set[k] = v
		}
	}
	var missing []string
	for _, k := range RequiredConfig {
		if v := set[k]; v != "y" {
			if v == "" {
				v = "not set"
			}
			missing = append(missing, k+" ("+v+")")
		}
	}
	return missing
}
