package sqlstore

import (
	"fmt"
	"time"

	"github.com/gamedayhq/gameday/petclinic"
)

// dateArg writes a calendar date as the DATE literal both databases read the
// same way; the zero time is NULL.
func dateArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.Format(petclinic.DateLayout)
}

// dateCol scans a DATE column into a time.Time at UTC midnight, whatever
// the driver hands over: time.Time (MySQL parseTime, SQLite DATE columns) or
// text.
type dateCol struct{ t *time.Time }

func (d dateCol) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*d.t = time.Time{}
	case time.Time:
		*d.t = time.Date(x.Year(), x.Month(), x.Day(), 0, 0, 0, 0, time.UTC)
	case string:
		return d.parse(x)
	case []byte:
		return d.parse(string(x))
	default:
		return fmt.Errorf("date column: unexpected %T", v)
	}
	return nil
}

func (d dateCol) parse(s string) error {
	if len(s) > len(petclinic.DateLayout) {
		s = s[:len(petclinic.DateLayout)]
	}
	t, err := time.Parse(petclinic.DateLayout, s)
	if err != nil {
		return fmt.Errorf("date column: %w", err)
	}
	*d.t = t
	return nil
}
