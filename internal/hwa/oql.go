package hwa

import "strings"

// OQL is a filter in the engine's query language, built only through this
// file's functions so that a user's value can never change the filter's
// structure: every value is a quoted literal with its quotes doubled, so
// `X' OR name LIKE '@` stays one string.
type OQL struct{ terms []string }

// Quote returns v as an OQL string literal: single-quoted, each ' doubled.
func Quote(v string) string { return "'" + strings.ReplaceAll(v, "'", "''") + "'" }

// Eq adds `field = 'value'`. field must be a field name the caller chose (a
// constant), never user input.
func (q OQL) Eq(field, value string) OQL { return q.add(field + " = " + Quote(value)) }

// Like adds `field LIKE 'pattern'`; in pattern, @ is the wildcard.
func (q OQL) Like(field, pattern string) OQL { return q.add(field + " LIKE " + Quote(pattern)) }

// EqOrLike adds Like when value contains the @ wildcard, else Eq.
func (q OQL) EqOrLike(field, value string) OQL {
	if value == "" {
		return q
	}
	if strings.Contains(value, "@") {
		return q.Like(field, value)
	}
	return q.Eq(field, value)
}

func (q OQL) add(term string) OQL {
	return OQL{terms: append(append([]string(nil), q.terms...), term)}
}

// String is the filter: the terms joined with AND ("" for none).
func (q OQL) String() string { return strings.Join(q.terms, " AND ") }

// JobFilter selects plan jobs; empty fields do not filter. A value with @ is
// a LIKE pattern (@ the wildcard), else an exact match.
type JobFilter struct {
	Status      string // the last run's status: ABEND, SUCC, EXEC, …
	Workstation string
	JobStream   string // the job stream's name
	JobStreamID string
	Folder      string
	Name        string // the job's name
}

// OQL is the filter f stands for.
func (f JobFilter) OQL() OQL {
	var q OQL
	q = q.EqOrLike("lastRunCompositeStatus.status", f.Status)
	q = q.EqOrLike("workstation", f.Workstation)
	q = q.EqOrLike("jobStreamName", f.JobStream)
	q = q.EqOrLike("jobStreamId", f.JobStreamID)
	q = q.EqOrLike("folder", f.Folder)
	q = q.EqOrLike("name", f.Name)
	return q
}

// NameFilter selects workstations, job streams or resources.
type NameFilter struct {
	Name   string
	Folder string
}

// OQL is the filter f stands for.
func (f NameFilter) OQL() OQL {
	var q OQL
	return q.EqOrLike("name", f.Name).EqOrLike("folder", f.Folder)
}
