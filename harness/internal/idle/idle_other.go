//go:build !linux

package idle

func releaseBinary() (Stats, error) { return Stats{}, nil }

func resident(int) (map[string]int64, error) { return nil, nil }
