// Package idle is what a long-running gameday process (the scheduler,
// gameday serve) does when it goes idle for hours: give back the memory it
// touched to start, or to run a game day, and no longer uses.
//
// Two kinds of pages make its resident set. The heap's garbage is
// returned by debug.FreeOSMemory. The larger part is the binary's own
// pages: gameday links about 1,100 packages (client-go, Chaos Mesh's API,
// Prometheus' PromQL parser, go-git ...) and the init functions of 430 of
// them run at start, each faulting in the pages around its code and the
// types it touches (the kernel maps 64 KB around each fault from the page
// cache). Measured on the idle scheduler: 25 of the 31 MB of text and 17
// of the 34 MB of read-only data stay resident, used once. Release drops
// those pages from the process's page tables (madvise MADV_DONTNEED on the
// binary's read-only mappings, text and rodata, never a writable one nor
// a read-only one holding pages copied on write, as a PIE build's RELRO
// does): the pages stay in the page cache, and what the process uses again
// comes back by a minor fault, as after the kernel's own reclaim.
package idle

import "runtime/debug"

// Stats are the resident bytes of the binary's read-only mappings before
// and after a Release (0 and 0 where they cannot be read).
type Stats struct {
	Before, After int64
}

// Resident is the resident bytes of process pid's executable by the
// permissions of its mappings: "r-xp" its text, "r--p" its read-only data
// (types, strings, the function table), "rw-p" its data (Linux; nil
// elsewhere).
func Resident(pid int) (map[string]int64, error) { return resident(pid) }

// Release frees the heap's garbage to the operating system and drops the
// binary's read-only pages from the process's resident set (Linux; elsewhere
// only the heap). Call it once the process has started, and after each
// burst of work, when it is about to wait.
func Release() (Stats, error) {
	debug.FreeOSMemory()
	return releaseBinary()
}
