package poller

import (
	"encoding/json"
	"errors"
)

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func isFenced(err error) bool { return errors.Is(err, ErrFenced) }
