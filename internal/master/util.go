package master

import (
	"fmt"
	"strconv"

	"github.com/resync/resync/internal/sdnotify"
)

type noteLike = sdnotify.Note

func itoa(i int) string                  { return strconv.Itoa(i) }
func parseUint(s string) (uint64, error) { return strconv.ParseUint(s, 10, 64) }

func wrapBoot(attempts int, why string) error {
	return fmt.Errorf("%w: %d attempts, last: %s", ErrBoot, attempts, why)
}
