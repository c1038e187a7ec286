package api

import (
	"bytes"
	"net/http"
	"strings"
)

// The API sends no validators: no ETag and no Last-Modified, as the Java
// server's main branch (its controllers set neither, and nothing in front of
// them does). A validator that is not derived from the whole representation
// goes stale (an owner's tag that ignores its pets sent 304 for an owner
// whose pets had changed), and one that is derived from it costs what the
// response itself costs. Clients revalidate nothing and always get the
// current representation.
//
// Conditional requests are still evaluated as RFC 9110 section 13 says for
// an origin server that has no entity tags and no modification dates:
//
//   - If-Match: "*" is true when the target has a current representation;
//     a list of entity tags is false, since none of ours can match (13.1.1).
//   - If-None-Match: "*" is false when the target has a current
//     representation; a list of entity tags is true (13.1.2).
//   - If-Modified-Since and If-Unmodified-Since are ignored: the resources
//     have no modification date (13.1.3, 13.1.4).
//   - A false If-Match is 412; a false If-None-Match is 304 for GET and
//     HEAD, 412 for other methods (13.2.2). Preconditions are ignored when
//     the request would not succeed without them (13.2.1): a missing entity
//     stays a 404.
//
// Whether the target has a current representation is what a GET of the same
// path answers: 200 yes, anything else no. The check runs only when a
// request carries If-Match or If-None-Match.

// condition is what a request's If-Match and If-None-Match ask.
type condition struct {
	ifMatch, ifNoneMatch   bool // the header is present
	matchAny, noneMatchAny bool // its value is "*"
}

func conditionOf(r *http.Request) (condition, bool) {
	im, inm := r.Header.Values("If-Match"), r.Header.Values("If-None-Match")
	if len(im) == 0 && len(inm) == 0 {
		return condition{}, false
	}
	c := condition{ifMatch: len(im) > 0, ifNoneMatch: len(inm) > 0}
	c.matchAny, c.noneMatchAny = isAny(im), isAny(inm)
	return c, true
}

// isAny reports whether a precondition's field lines are the "*" form.
func isAny(lines []string) bool {
	for _, l := range lines {
		if strings.TrimSpace(l) == "*" {
			return true
		}
	}
	return false
}

// outcome is what the evaluation decides.
type outcome int

const (
	proceed            outcome = iota // perform the method as if unconditional
	preconditionFailed                // 412
	notModified                       // 304 (GET and HEAD)
)

// evaluate applies RFC 9110 13.2.2 to a target that has (or has not) a
// current representation, for a safe (GET, HEAD) or unsafe method.
func (c condition) evaluate(exists, safe bool) outcome {
	if c.ifMatch && !(c.matchAny && exists) {
		return preconditionFailed
	}
	if c.ifNoneMatch && c.noneMatchAny && exists {
		if safe {
			return notModified
		}
		return preconditionFailed
	}
	return proceed
}

// preconditions evaluates the request's preconditions for rt and answers
// 304 or 412 itself when they fail; it reports whether it answered. get is
// the GET operation of rt's path, or nil when the path has none.
func (s *server) preconditions(w http.ResponseWriter, r *http.Request, rt, get *route) bool {
	c, ok := conditionOf(r)
	if !ok {
		return false
	}
	safe := r.Method == http.MethodGet || r.Method == http.MethodHead
	status := 0 // no GET on this path: no current representation
	var rec *recorder
	if get != nil {
		rec = &recorder{header: http.Header{}}
		probe := r.Clone(r.Context())
		probe.Method, probe.Body, probe.ContentLength = http.MethodGet, http.NoBody, 0
		if p := get.handle(s, rec, probe); p != nil {
			rec.status = p.status
		}
		status = rec.status
	}
	// 13.2.1: a request that would not succeed unconditionally is answered
	// as such. A GET, PUT or DELETE of a missing entity is its 404; a POST
	// adds to a collection whose GET says nothing about the POST.
	if status != 0 && status != http.StatusOK && r.Method != http.MethodPost {
		return false
	}
	switch c.evaluate(status == http.StatusOK, safe) {
	case notModified:
		w.WriteHeader(http.StatusNotModified)
		return true
	case preconditionFailed:
		s.writeProblem(w, r, &problem{status: http.StatusPreconditionFailed, title: "PreconditionFailed",
			detail: "The precondition given in If-Match or If-None-Match evaluated to false"})
		return true
	}
	if safe && rec != nil && rt == get {
		// The GET already ran: send what it answered instead of reading twice.
		rec.replay(w)
		return true
	}
	return false
}

// recorder keeps a response in memory.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}

func (r *recorder) replay(w http.ResponseWriter) {
	for k, v := range r.header {
		w.Header()[k] = v
	}
	w.WriteHeader(r.status)
	_, _ = w.Write(r.body.Bytes())
}
