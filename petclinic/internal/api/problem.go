package api

import (
	"net/http"
	"time"
)

// The detail texts of the Java server's ExceptionControllerAdvice (main
// branch): ERROR_UNEXPECTED, ERROR_DATA_INTEGRITY, ERROR_INVALID_REQUEST.
const (
	detailUnexpected    = "An unexpected error occurred while processing your request"
	detailDataIntegrity = "The requested resource could not be processed due to a data constraint violation"
	detailInvalid       = "The request contains invalid or missing parameters"
)

// problem is an error response: Spring's ProblemDetail with the timestamp and
// schemaValidationErrors properties the Java server adds.
type problem struct {
	status int
	title  string
	detail string
	// errors become schemaValidationErrors; never nil in the body.
	errors []validationMessage
	// empty answers the status alone, without a body: what the Java
	// controllers' new ResponseEntity<>(HttpStatus.NOT_FOUND) sends.
	empty bool
	// header holds extra response headers (WWW-Authenticate, Allow).
	header http.Header
}

// validationMessage is one schemaValidationErrors item. Field, RejectedValue
// and DefaultMessage are the additional properties the Java server puts on
// bean validation errors.
type validationMessage struct {
	Message        string  `json:"message"`
	Field          string  `json:"field,omitempty"`
	RejectedValue  *string `json:"rejectedValue,omitempty"`
	DefaultMessage string  `json:"defaultMessage,omitempty"`
}

// problemBody is the JSON of a ProblemDetail, in Spring's property order.
type problemBody struct {
	Type                   string              `json:"type"`
	Title                  string              `json:"title"`
	Status                 int                 `json:"status"`
	Detail                 string              `json:"detail"`
	Timestamp              string              `json:"timestamp"`
	SchemaValidationErrors []validationMessage `json:"schemaValidationErrors"`
}

// notFound is what the Java controllers answer for a missing entity or an
// empty list: new ResponseEntity<>(HttpStatus.NOT_FOUND), a 404 without a
// body.
func notFoundProblem() *problem {
	return &problem{status: http.StatusNotFound, empty: true}
}

// unreadable is HttpMessageNotReadableException: the body is missing, is not
// JSON, or does not bind to the DTO.
func unreadable() *problem {
	return &problem{status: http.StatusBadRequest, title: "HttpMessageNotReadableException", detail: detailInvalid}
}

// invalid is MethodArgumentNotValidException: bean validation of the body
// failed.
func invalid(errs []validationMessage) *problem {
	return &problem{status: http.StatusBadRequest, title: "MethodArgumentNotValidException", detail: detailInvalid, errors: errs}
}

// constraintViolation is ConstraintViolationException: a path or query
// parameter broke its @Min/@Max, or a controller's own check failed.
func constraintViolation(messages ...string) *problem {
	p := &problem{status: http.StatusBadRequest, title: "ConstraintViolationException", detail: detailInvalid}
	for _, m := range messages {
		p.errors = append(p.errors, validationMessage{Message: m})
	}
	return p
}

// typeMismatch is MethodArgumentTypeMismatchException: a path or query
// parameter is not an integer.
func typeMismatch() *problem {
	return &problem{status: http.StatusBadRequest, title: "MethodArgumentTypeMismatchException", detail: detailInvalid}
}

// dataIntegrity is DataIntegrityViolationException, which the Java server
// answers with 404: a write referenced a missing row or broke a unique key.
func dataIntegrity() *problem {
	return &problem{status: http.StatusNotFound, title: "DataIntegrityViolationException", detail: detailDataIntegrity}
}

func (s *server) writeProblem(w http.ResponseWriter, r *http.Request, p *problem) {
	for k, v := range p.header {
		w.Header()[k] = v
	}
	if p.empty {
		w.WriteHeader(p.status)
		return
	}
	errs := p.errors
	if errs == nil {
		errs = []validationMessage{}
	}
	body := problemBody{
		Type:                   requestURL(r),
		Title:                  p.title,
		Status:                 p.status,
		Detail:                 p.detail,
		Timestamp:              s.now().UTC().Format(time.RFC3339Nano),
		SchemaValidationErrors: errs,
	}
	writeJSON(w, "application/problem+json", p.status, body)
}

// requestURL rebuilds the URL the client called, without the query, like
// HttpServletRequest.getRequestURL.
func requestURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + r.URL.EscapedPath()
}

func writeJSON(w http.ResponseWriter, contentType string, status int, v any) {
	b, err := marshalJSON(v)
	if err != nil {
		// Only our own DTOs reach here; they always marshal.
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	// #nosec G705 -- a JSON body with a JSON content type and nosniff, never HTML
	_, _ = w.Write(b)
}

// oops is GET /oops (operation failingRequest): always 400 with a
// ProblemDetail. Its Java controller is not among the main branch's
// reference sources, so the answer is what main's OpenAPI file declares:
// 400 with the ProblemDetail schema, every required property present; the
// detail is the operation's summary and description there.
func (s *server) oops(_ http.ResponseWriter, _ *http.Request) *problem {
	return &problem{status: http.StatusBadRequest, title: "Bad Request", detail: "Always fails: produces a sample error response."}
}
