//go:build !testhooks

package tws

// eagerLazy names no part outside testhooks builds: the lazy parts stay lazy.
func eagerLazy(string) bool { return false }
