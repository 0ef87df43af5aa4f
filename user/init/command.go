package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"
)

// defaultPath is PATH when the environment has none.
const defaultPath = "/bin:/sbin:/usr/bin:/usr/sbin"

// command returns the argv to run: args if non-empty, else the first
// line of cmdFile that is neither blank nor a "#" comment, split at white
// space. The program name is resolved with lookPath.
func command(args []string, cmdFile string) ([]string, error) {
	argv := args
	if len(argv) == 0 {
		f, err := os.Open(cmdFile)
		if err != nil {
			return nil, fmt.Errorf("no command: none on the command line (after --) and %v", err)
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line != "" && !strings.HasPrefix(line, "#") {
				argv = strings.Fields(line)
				break
			}
		}
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("read %s: %v", cmdFile, err)
		}
		if len(argv) == 0 {
			return nil, fmt.Errorf("no command: %s has no command line", cmdFile)
		}
	}
	path, err := lookPath(argv[0], pathEnv())
	if err != nil {
		return nil, err
	}
	return append([]string{path}, argv[1:]...), nil
}

func pathEnv() string {
	if p := os.Getenv("PATH"); p != "" {
		return p
	}
	return defaultPath
}

// lookPath finds an executable: a name with a slash is taken as is,
// anything else is searched for in the colon-separated dirs.
func lookPath(name, dirs string) (string, error) {
	if strings.Contains(name, "/") {
		return name, nil
	}
	for _, d := range strings.Split(dirs, ":") {
		if d == "" {
			continue
		}
		p := d + "/" + name
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0 {
			return p, nil
		}
	}
	return "", errors.New(name + ": not found in " + dirs)
}

// environ is the command's environment: init's own (Linux passes HOME,
// TERM and unknown key=value boot options) with PATH defaulted.
func environ() []string {
	env := os.Environ()
	if os.Getenv("PATH") == "" {
		env = append(env, "PATH="+defaultPath)
	}
	return env
}
