//go:build !testhooks

package worker

func bootHook() error { return nil }
