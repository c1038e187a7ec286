package idle

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// mapping is a mapping of a process's executable.
type mapping struct {
	lo, hi uintptr
	perms  string // r-xp, r--p, rw-p ...
	rss    int64  // resident bytes
	anon   int64  // resident bytes copied on write (no longer the file's)
}

// readOnly is a private mapping the process cannot write and never wrote:
// text, rodata. A read-only mapping with copied pages (a PIE binary's
// RELRO, relocated by the loader then made read-only) is not one: dropping
// its pages would bring back the file's unrelocated bytes.
func (m mapping) readOnly() bool { return m.perms[1] != 'w' && m.perms[3] == 'p' && m.anon == 0 }

func releaseBinary() (Stats, error) {
	maps, err := binaryMappings("self")
	if err != nil {
		return Stats{}, err
	}
	var st Stats
	var first error
	for _, m := range maps {
		if !m.readOnly() {
			continue
		}
		st.Before += m.rss
		if _, _, errno := syscall.Syscall(syscall.SYS_MADVISE, m.lo, m.hi-m.lo, syscall.MADV_DONTNEED); errno != 0 && first == nil {
			first = fmt.Errorf("idle: madvise %#x-%#x: %w", m.lo, m.hi, errno)
		}
	}
	after, err := binaryMappings("self")
	if err != nil {
		return st, err
	}
	for _, m := range after {
		if m.readOnly() {
			st.After += m.rss
		}
	}
	return st, first
}

func resident(pid int) (map[string]int64, error) {
	maps, err := binaryMappings(strconv.Itoa(pid))
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for _, m := range maps {
		out[m.perms] += m.rss
	}
	return out, nil
}

// binaryMappings reads /proc/PID/smaps (PID a number or "self") for the
// mappings of the process's executable (its inode, whatever its path has
// become).
func binaryMappings(pid string) ([]mapping, error) {
	fi, err := os.Stat("/proc/" + pid + "/exe")
	if err != nil {
		return nil, fmt.Errorf("idle: %w", err)
	}
	sys, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil, fmt.Errorf("idle: no inode for /proc/%s/exe", pid)
	}
	b, err := os.ReadFile("/proc/" + pid + "/smaps")
	if err != nil {
		return nil, fmt.Errorf("idle: %w", err)
	}
	return parseSmaps(b, sys.Ino), nil
}

// parseSmaps reads the mappings of inode ino, with their Rss.
func parseSmaps(b []byte, ino uint64) []mapping {
	var out []mapping
	var cur *mapping
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		f := strings.Fields(line)
		if len(f) >= 5 && strings.Contains(f[0], "-") && len(f[1]) == 4 {
			cur = nil
			lo, hi, _ := strings.Cut(f[0], "-")
			a, err1 := strconv.ParseUint(lo, 16, 64)
			z, err2 := strconv.ParseUint(hi, 16, 64)
			n, err3 := strconv.ParseUint(f[4], 10, 64)
			if err1 != nil || err2 != nil || err3 != nil || n != ino {
				continue
			}
			out = append(out, mapping{lo: uintptr(a), hi: uintptr(z), perms: f[1]})
			cur = &out[len(out)-1]
			continue
		}
		if cur == nil || len(f) != 3 || f[2] != "kB" {
			continue
		}
		kb, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "Rss:":
			cur.rss = kb << 10
		case "Anonymous:":
			cur.anon = kb << 10
		}
	}
	return out
}
