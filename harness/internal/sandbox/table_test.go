package sandbox_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/sandbox"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func TestWriteTableGolden(t *testing.T) {
	tests := map[string]string{
		"a ready sandbox":               "ready",
		"a sandbox whose replica froze": "frozen",
	}
	for name, file := range tests {
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", file+".state.json"))
			if err != nil {
				t.Fatal(err)
			}
			var st sandbox.State
			if err := json.Unmarshal(b, &st); err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			st.WriteTable(&got, time.Date(2026, 11, 27, 18, 0, 0, 0, time.UTC))
			golden := filepath.Join("testdata", file+".golden")
			if *update {
				os.WriteFile(golden, got.Bytes(), 0o644)
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != string(want) {
				t.Errorf("got\n%s\nwant\n%s", got.String(), want)
			}
		})
	}
}
