package api

import (
	"strings"
	"testing"
)

func TestPreconditionsWithoutValidators(t *testing.T) {
	tests := map[string]struct {
		c      condition
		exists bool
		safe   bool
		want   outcome
	}{
		"If-Match * on an existing target holds":            {condition{ifMatch: true, matchAny: true}, true, false, proceed},
		"If-Match * on a target without representation":     {condition{ifMatch: true, matchAny: true}, false, false, preconditionFailed},
		"If-Match with a tag never holds":                   {condition{ifMatch: true}, true, false, preconditionFailed},
		"If-None-Match * on an existing target, GET":        {condition{ifNoneMatch: true, noneMatchAny: true}, true, true, notModified},
		"If-None-Match * on an existing target, PUT":        {condition{ifNoneMatch: true, noneMatchAny: true}, true, false, preconditionFailed},
		"If-None-Match * on a target without one holds":     {condition{ifNoneMatch: true, noneMatchAny: true}, false, false, proceed},
		"If-None-Match with a tag always holds":             {condition{ifNoneMatch: true}, true, true, proceed},
		"a false If-Match wins over a true If-None-Match":   {condition{ifMatch: true, ifNoneMatch: true}, true, true, preconditionFailed},
		"If-Match * and If-None-Match * on an existing GET": {condition{ifMatch: true, matchAny: true, ifNoneMatch: true, noneMatchAny: true}, true, true, notModified},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := tt.c.evaluate(tt.exists, tt.safe); got != tt.want {
				t.Errorf("got %d, want %d", got, tt.want)
			}
		})
	}
}

// TestConditionalRequests sends conditional requests through HTTP to the real
// store: RFC 9110 section 13 for an origin server without validators.
func TestConditionalRequests(t *testing.T) {
	srv := newServer(t, openStore(t, true), false)
	pet := `{"name":"Nemo","birthDate":"2020-01-02","type":{"id":1,"name":"cat"}}`
	tests := []struct {
		name        string
		c           call
		header      map[string]string
		want        int
		wantNoBody  bool
		wantInBody  string
		wantHeaders map[string]string
	}{
		{name: "a GET with an entity tag gets the whole owner", c: call{method: "GET", path: "/owners/1"},
			header: map[string]string{"If-None-Match": `"1", W/"2"`}, want: 200, wantInBody: `"lastName":"Franklin"`},
		{name: "a GET If-None-Match * of an existing owner is not modified", c: call{method: "GET", path: "/owners/1"},
			header: map[string]string{"If-None-Match": "*"}, want: 304, wantNoBody: true},
		{name: "a GET If-None-Match * of a missing owner stays a 404", c: call{method: "GET", path: "/owners/999"},
			header: map[string]string{"If-None-Match": "*"}, want: 404, wantNoBody: true},
		{name: "a GET If-Match with an entity tag fails", c: call{method: "GET", path: "/pets/1"},
			header: map[string]string{"If-Match": `"1"`}, want: 412, wantInBody: `"title":"PreconditionFailed"`},
		{name: "a GET If-Match * of an existing pet is served", c: call{method: "GET", path: "/pets/1"},
			header: map[string]string{"If-Match": "*"}, want: 200, wantInBody: `"name":"Leo"`,
			wantHeaders: map[string]string{"Content-Type": "application/json"}},
		{name: "a PUT If-Match with an entity tag of a missing owner stays a 404", c: call{method: "PUT", path: "/owners/999", body: ownerBody("A", "B", "1")},
			header: map[string]string{"If-Match": `"1"`}, want: 404, wantNoBody: true},
		{name: "a DELETE If-Match with an entity tag is refused and deletes nothing", c: call{method: "DELETE", path: "/visits/1"},
			header: map[string]string{"If-Match": `"1"`}, want: 412},
		{name: "the visit is still there", c: call{method: "GET", path: "/visits/1"}, want: 200},
		{name: "a POST If-Match * to a collection without a GET fails", c: call{method: "POST", path: "/owners/1/pets", body: pet},
			header: map[string]string{"If-Match": "*"}, want: 412},
		{name: "a POST If-None-Match * to a collection without a GET is done", c: call{method: "POST", path: "/owners/1/pets", body: pet},
			header: map[string]string{"If-None-Match": "*"}, want: 201},
		{name: "a DELETE If-Match * of an existing visit is done", c: call{method: "DELETE", path: "/visits/1"},
			header: map[string]string{"If-Match": "*"}, want: 204},
		{name: "If-Modified-Since is ignored: nothing has a date", c: call{method: "GET", path: "/owners/1"},
			header: map[string]string{"If-Modified-Since": "Sun, 06 Nov 2094 08:49:37 GMT"}, want: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.c.path = Prefix + tt.c.path
			tt.c.header = tt.header
			resp, body := tt.c.do(t, srv)
			if resp.StatusCode != tt.want {
				t.Fatalf("got %d, want %d: %s", resp.StatusCode, tt.want, body)
			}
			if tt.wantNoBody && body != "" {
				t.Errorf("got body %q, want none", body)
			}
			if tt.wantInBody != "" && !strings.Contains(body, tt.wantInBody) {
				t.Errorf("got body %s, want it to hold %s", body, tt.wantInBody)
			}
			for k, v := range tt.wantHeaders {
				if got := resp.Header.Get(k); got != v {
					t.Errorf("header %s: got %q, want %q", k, got, v)
				}
			}
			if resp.Header.Get("ETag") != "" || resp.Header.Get("Last-Modified") != "" {
				t.Errorf("got validators ETag %q Last-Modified %q, want none", resp.Header.Get("ETag"), resp.Header.Get("Last-Modified"))
			}
		})
	}
}
