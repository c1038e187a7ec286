package api

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"time"
	"unicode/utf16"

	"github.com/gamedayhq/gameday/petclinic"
)

// The patterns of the OpenAPI contract, which the Java server's generated
// DTOs carry as @Pattern. Java's String.matches needs the whole string to
// match; the anchors make Go's regexp do the same.
const (
	firstNamePattern = `^[\p{L}]+([ '-][\p{L}]+){0,2}$`
	lastNamePattern  = `^[\p{L}]+([ '-][\p{L}]+){0,2}\.?$`
	telephonePattern = `^[0-9]*$`
)

var (
	firstNameRE = regexp.MustCompile(firstNamePattern)
	lastNameRE  = regexp.MustCompile(lastNamePattern)
	telephoneRE = regexp.MustCompile(telephonePattern)
)

// validator collects bean validation errors in the shape the Java server's
// MethodArgumentNotValidException handler gives them.
type validator struct {
	errs []validationMessage
}

func (v *validator) add(field, msg, rejected string) {
	v.errs = append(v.errs, validationMessage{
		Message:        fmt.Sprintf("Field '%s' %s (rejected value: %s)", field, msg, rejected),
		Field:          field,
		RejectedValue:  &rejected,
		DefaultMessage: msg,
	})
}

// problem returns the collected errors sorted by field (Hibernate Validator's
// order is unspecified; a stable one keeps responses reproducible), or nil.
func (v *validator) problem() *problem {
	if len(v.errs) == 0 {
		return nil
	}
	sort.SliceStable(v.errs, func(i, j int) bool { return v.errs[i].Field < v.errs[j].Field })
	return invalid(v.errs)
}

// notNull is @NotNull; it reports whether the value is present.
func (v *validator) notNull(field string, present bool) bool {
	if !present {
		v.add(field, "must not be null", "null")
	}
	return present
}

// size is @Size(min, max), counting UTF-16 code units like String.length.
func (v *validator) size(field string, s *string, min, max int) {
	if s == nil {
		return
	}
	if n := len(utf16.Encode([]rune(*s))); n < min || n > max {
		v.add(field, fmt.Sprintf("size must be between %d and %d", min, max), *s)
	}
}

// pattern is @Pattern(regexp).
func (v *validator) pattern(field string, s *string, re *regexp.Regexp) {
	if s == nil || re.MatchString(*s) {
		return
	}
	v.add(field, `must match "`+re.String()+`"`, *s)
}

// min is @Min.
func (v *validator) min(field string, n *int, min int) {
	if n != nil && *n < min {
		v.add(field, fmt.Sprintf("must be greater than or equal to %d", min), strconv.Itoa(*n))
	}
}

// birthDate is the REST project's @PetAgeValidation: not in the future and
// not older than 50 years, compared with today's date.
func (v *validator) birthDate(field string, d *time.Time, now time.Time) {
	if d == nil {
		return
	}
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	switch {
	case d.After(today):
		v.add(field, "Birth date cannot be in the future", d.Format(petclinic.DateLayout))
	case d.Before(minusYears(today, 50)):
		v.add(field, "Birth date cannot be older than 50 years", d.Format(petclinic.DateLayout))
	}
}

// minusYears is LocalDate.minusYears: February 29 becomes February 28 in a
// year without it, where time.AddDate would roll over to March 1.
func minusYears(d time.Time, years int) time.Time {
	y := d.Year() - years
	day := d.Day()
	if d.Month() == time.February && day == 29 && time.Date(y, time.March, 0, 0, 0, 0, 0, time.UTC).Day() != 29 {
		day = 28
	}
	return time.Date(y, d.Month(), day, 0, 0, 0, 0, time.UTC)
}
