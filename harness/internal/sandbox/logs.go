package sandbox

import (
	"context"
	"io"
	"os"
	"time"
)

// A LokiTarget is one entry of LokiTargetsFile: Prometheus' file_sd
// format, which Promtail (file_sd_configs) and Alloy (discovery.file, then
// local.file_match) read; `__path__` is the file to tail.
type LokiTarget struct {
	Targets []string          `json:"targets"`
	Labels  map[string]string `json:"labels"`
}

// lokiTargets are the replicas' log files with the labels the cluster's
// collector (monitoring/values/alloy.yaml) gives a pod's lines: app,
// namespace, pod, container and node, plus the sandbox's zone.
func (s *supervisor) lokiTargets() []LokiTarget {
	var out []LokiTarget
	for _, p := range s.pods {
		if p.labels[LabelApp] != AppPetclinic {
			continue
		}
		out = append(out, LokiTarget{Targets: []string{"localhost"}, Labels: map[string]string{
			"__path__": p.log, "app": AppPetclinic, "namespace": Namespace, "pod": p.name,
			"container": AppPetclinic, "node": "sandbox", "zone": p.labels[LabelZone],
		}})
	}
	return out
}

// rotateLogs keeps every pod's log under c.LogMaxBytes until ctx ends, as a
// kubelet rotates container logs: a log past the limit is copied to
// NAME.log.1 (replacing the previous one) and truncated in place. The pod
// keeps writing to the same open file (O_APPEND: its next line lands at
// the new end), so nothing is restarted; a line written between the copy
// and the truncation is lost, as with logrotate's copytruncate. Tailing
// collectors see the truncation and start again from the top.
func (s *supervisor) rotateLogs(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			for _, p := range s.pods {
				if fi, err := os.Stat(p.log); err == nil && fi.Size() > s.c.LogMaxBytes {
					rotate(p.log)
				}
			}
		}
	}
}

func rotate(path string) {
	src, err := os.Open(path)
	if err != nil {
		return
	}
	defer src.Close()
	tmp := path + ".1.tmp"
	dst, err := os.Create(tmp)
	if err != nil {
		return
	}
	_, err = io.Copy(dst, src)
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil || os.Rename(tmp, path+".1") != nil {
		os.Remove(tmp)
		return
	}
	os.Truncate(path, 0)
}
