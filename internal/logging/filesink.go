package logging

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"gopkg.in/natefinch/lumberjack.v2"
)

// fileRetry is how long a failing log file is left alone before the next
// record tries it again: no busy loop, no open(2) per record while the disk is
// full, and the file resumes within this interval once it can be written.
const fileRetry = time.Second

// fileSink is one lumberjack file written by the master alone, under the
// master's mutex. When a write fails it reports once why (a notice the master
// sends to journald/stderr), skips the file for fileRetry, then tries again;
// on success it reports how many records the file missed.
type fileSink struct {
	lj      *lumberjack.Logger
	retry   time.Duration
	failing bool
	next    time.Time
	missed  int64
	torn    bool // the last failed write was partial: start with a newline
}

func newFileSink(path string, maxMB, backups, ageDays int, compress bool) *fileSink {
	return &fileSink{
		lj: &lumberjack.Logger{
			Filename:   path,
			MaxSize:    maxMB,
			MaxBackups: backups,
			MaxAge:     ageDays,
			Compress:   compress,
		},
		retry: fileRetry,
	}
}

func (f *fileSink) maxBytes() int {
	if f.lj.MaxSize <= 0 {
		return 100 << 20 // lumberjack's default
	}
	return f.lj.MaxSize << 20
}

// write writes formatted records (whole lines) and returns a notice for the master to
// emit, or nil.
func (f *fileSink) write(b []byte, now time.Time) *entry {
	records := int64(bytes.Count(b, []byte{'\n'})) // b may hold several records
	if f.failing && now.Before(f.next) {
		f.missed += records
		return nil
	}
	if len(b) > f.maxBytes() {
		// lumberjack refuses writes larger than a whole file; keep a trace.
		b = fmt.Appendf(nil, "%s record of %d bytes is larger than the log file size limit; it went to journald/stderr only\n",
			now.Format(textTime), len(b))
	}
	if f.torn {
		if _, err := f.lj.Write([]byte{'\n'}); err != nil {
			return f.fail(err, now, records)
		}
		f.torn = false
	}
	n, err := f.lj.Write(b)
	if err != nil {
		f.torn = n > 0
		return f.fail(err, now, records)
	}
	if !f.failing {
		return nil
	}
	f.failing = false
	missed := f.missed
	f.missed = 0
	return &entry{time: now, level: slog.LevelInfo,
		msg:   "log file is writable again",
		attrs: []kv{{"file", slog.StringValue(f.lj.Filename)}, {"missed_records", slog.Int64Value(missed)}}}
}

// rotate is USR1: lumberjack moves the file aside and opens a new one.
// lumberjack names a backup after the current millisecond and renames over
// an existing one: a USR1 in the same millisecond as a size rotation would
// overwrite that backup. Then rotate does nothing and says busy, and the
// caller tries again in the next millisecond, without the master's mutex.
func (f *fileSink) rotate(now time.Time) (notice *entry, busy bool) {
	if f.failing {
		return nil, false // the next write after the retry interval reopens anyway
	}
	if f.backupExists(now) {
		return nil, true
	}
	if err := f.lj.Rotate(); err != nil {
		return f.fail(err, now, 0), false
	}
	return nil, false
}

func (f *fileSink) backupExists(now time.Time) bool {
	name := f.lj.Filename
	ext := filepath.Ext(name)
	b := name[:len(name)-len(ext)] + "-" + now.UTC().Format("2006-01-02T15-04-05.000") + ext
	if _, err := os.Lstat(b); err == nil {
		return true
	}
	_, err := os.Lstat(b + ".gz")
	return err == nil
}

func (f *fileSink) fail(err error, now time.Time, lost int64) *entry {
	f.missed += lost
	f.next = now.Add(f.retry)
	_ = f.lj.Close() // reopen from scratch next time: the path may have been fixed
	if f.failing {
		return nil
	}
	f.failing = true
	return &entry{time: now, level: slog.LevelError,
		msg: "cannot write log file; its records still go to " + "journald/stderr, retrying",
		attrs: []kv{{"file", slog.StringValue(f.lj.Filename)}, {"error", slog.StringValue(err.Error())},
			{"retry_every", slog.DurationValue(f.retry)}}}
}

func (f *fileSink) close() error { return f.lj.Close() }
