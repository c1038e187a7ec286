package chaos

import "encoding/json"

func jsonMarshal(v any) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	return append(b, '\n'), err
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
