package sandbox

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A rotated log keeps its lines in NAME.log.1 and the writer, which holds
// the file open in append mode as a replica does, goes on at the top of the
// emptied file.
func TestRotateKeepsTheWriterGoing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "petclinic-0.log")
	w, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.WriteString("line 1\nline 2\n")
	rotate(path)
	w.WriteString("line 3\n")
	if b, _ := os.ReadFile(path + ".1"); string(b) != "line 1\nline 2\n" {
		t.Errorf("got %q rotated, want the first two lines", b)
	}
	if b, _ := os.ReadFile(path); string(b) != "line 3\n" {
		t.Errorf("got %q after the rotation, want the third line alone", b)
	}
	w.WriteString(strings.Repeat("x", 10) + "\n")
	rotate(path)
	if b, _ := os.ReadFile(path + ".1"); !strings.HasPrefix(string(b), "line 3\n") {
		t.Errorf("got %q, want the second rotation to replace the first", b)
	}
}
