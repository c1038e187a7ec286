package docs_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/gamedayhq/gameday/harness/internal/docs"
)

func TestCommands(t *testing.T) {
	type found struct {
		Line int
		Args string // joined by " ", "" for none
	}
	tests := map[string]struct {
		md   string
		want []found
	}{
		"a shell block: every line that runs gameday": {
			md:   "text\n\n```\ngameday sandbox up\nmake demo\nbin/gameday run experiments/pod-kill.yaml\n```\n",
			want: []found{{4, "sandbox up"}, {6, "run experiments/pod-kill.yaml"}},
		},
		"a block with prompts: only the prompt lines, the rest is output": {
			md:   "```console\n$ gameday history list\ngameday harness (load package) on 127.0.0.1\n$ bin/gameday version\ngameday dev\n```\n",
			want: []found{{2, "history list"}, {4, "version"}},
		},
		"continuations are joined, comments dropped": {
			md:   "```sh\ngameday run --target kubernetes \\\n    --namespace petclinic \\\n    x.yaml   # on a cluster\n```\n",
			want: []found{{2, "run --target kubernetes --namespace petclinic x.yaml"}},
		},
		"environment, wrappers and chains before the program": {
			md:   "```\ncd harness && GITHUB_STEP_SUMMARY=/tmp/s.md go run ./cmd/gameday gate x.yaml; sudo bin/gameday cleanup\n```\n",
			want: []found{{2, "gate x.yaml"}, {2, "cleanup"}},
		},
		"the right side of a pipe and redirections are not gameday's": {
			md:   "```\ngameday history list --output json 2>&1 | jq . > /tmp/x\n```\n",
			want: []found{{2, "history list --output json"}},
		},
		"a data block is never read": {
			md:   "```yaml\ncommand: gameday run x.yaml\n```\n```json\n\"gameday run\"\n```\n",
			want: nil,
		},
		"a table row in a block is output": {
			md:   "```\n| load generator | $0.1 | gameday process CPU time x catalog |\n```\n",
			want: nil,
		},
		"inline spans of prose, one across a line break": {
			md:   "Run `gameday cost --environment <env>\n--window 7d` weekly; `gameday_schedule_runs_total` is a metric and `gameday/kill` a ConfigMap.\n",
			want: []found{{1, "cost --environment <env> --window 7d"}},
		},
		"the docs' notation: optional brackets, alternatives, an elided value or argument": {
			md:   "    gameday cleanup [--run-id ID]\n    gameday kill-switch engage|release [--context ...]\n    gameday gate --target kubernetes ... x.yaml\n",
			want: []found{{1, "cleanup --run-id ID"}, {2, "kill-switch engage|release --context ..."}, {3, "gate --target kubernetes x.yaml"}},
		},
		"an indented code block needs a blank line before it: a list continuation is prose": {
			md:   "- item\n    gameday wraps every selector in rate()\n\n    gameday validate experiments/\n",
			want: []found{{4, "validate experiments/"}},
		},
		"a bare mention is found, with no arguments": {
			md:   "`gameday` and `bin/gameday`\n",
			want: []found{{1, ""}, {1, ""}},
		},
		"quotes are removed, a | inside them stays": {
			md:   "```\ngameday cost --env 'prod=http://thanos:9090|cluster=\"gameday-prod\"'\n```\n",
			want: []found{{2, `cost --env prod=http://thanos:9090|cluster="gameday-prod"`}},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			var got []found
			for _, c := range docs.Commands("x.md", []byte(tt.md)) {
				if c.File != "x.md" {
					t.Errorf("file %q, want x.md", c.File)
				}
				got = append(got, found{c.Line, strings.Join(c.Args, " ")})
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestResolve(t *testing.T) {
	tests := map[string]struct {
		args    string
		wantErr string // "" resolves
	}{
		"a command, its flags and argument":                    {"run --target kubernetes --namespace petclinic --allow-prod x.yaml", ""},
		"a flag with = and an alias":                           {"sandbox status -o=json", ""},
		"a subcommand with its parent's path":                  {"history list --experiment pod-kill --since 7d", ""},
		"a placeholder for a typed flag's value":               {"run --load-workers N --inject-timeout <d> x.yaml", ""},
		"an elided value of a string flag":                     {"kill-switch engage --context ...", ""},
		"alternatives in the path, each resolving":             {"kill-switch engage|release", ""},
		"help is never run":                                    {"run --help", ""},
		"a placeholder for any command":                        {"<command> --help", ""},
		"a mention of a command group":                         {"history", ""},
		"a misspelt flag":                                      {"run --taget kubernetes x.yaml", "flag provided but not defined: -taget (see gameday run --help)"},
		"a removed command":                                    {"publsh --dry-run x", `unknown command "publsh" (gameday --help lists them)`},
		"a flag after the arguments, where gameday ignores it": {"validate experiments/ --output json", `gameday validate: --output comes after the arguments "experiments/", where it is not parsed as a flag (urfave/cli stops at the first argument): put the flags first`},
		"a flag without its value":                             {"dora --serve", "flag needs an argument: -serve (see gameday dora --help)"},
		"a literal value the flag's type refuses":              {"run --inject-timeout 60 x.yaml", `invalid value "60" for flag -inject-timeout: parse error (see gameday run --help)`},
		"one alternative of the path misspelt":                 {"kill-switch engage|relase", `unknown command "relase" (gameday --help lists them)`},
		"a group given its subcommands' flag":                  {"history --rescan", "flag provided but not defined: -rescan (see gameday history --help)"},
		"a group given no subcommand":                          {"slo --", "gameday slo: names no command that runs: it needs one of its subcommands"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			err := docs.Resolve(strings.Fields(tt.args))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Resolve(%s) = %v, want nil", tt.args, err)
			case tt.wantErr != "" && err == nil:
				t.Errorf("Resolve(%s) = nil, want %q", tt.args, tt.wantErr)
			case tt.wantErr != "" && err.Error() != tt.wantErr:
				t.Errorf("Resolve(%s) = %q\nwant %q", tt.args, err, tt.wantErr)
			}
		})
	}
}

func FuzzCommands(f *testing.F) {
	f.Add("```\ngameday run --x \\\n  y # z\n```\n")
	f.Add("`gameday cost --environment <env>\n--window 7d`")
	f.Add("    gameday kill-switch engage|release [--context ...]\n")
	f.Add("```\ncd a && A=1 go run ./cmd/gameday gate 'x|y' \"q\\\"\" 2>&1 | jq > o; bin/gameday\n")
	f.Fuzz(func(t *testing.T, md string) {
		lines := strings.Count(md, "\n") + 1
		for _, c := range docs.Commands("f.md", []byte(md)) {
			if c.Line < 1 || c.Line > lines {
				t.Fatalf("line %d of a %d-line document", c.Line, lines)
			}
			for _, a := range c.Args {
				if a == "" {
					t.Fatalf("empty argument in %q", c.Args)
				}
			}
		}
	})
}
