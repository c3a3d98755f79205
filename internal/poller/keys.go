package poller

// Keys are the Redis keys of one deployment's poller.
type Keys struct {
	Fence, Current, Pending, Written, Meta, Stream string
	// Lock names the election's lock (internal/lock keeps its own keys).
	Lock string
}

// KeysFor returns the keys under prefix (default "resync:{tws}:").
func KeysFor(prefix string) Keys {
	if prefix == "" {
		prefix = "resync:{tws}:"
	}
	return Keys{Fence: prefix + "fence", Current: prefix + "current", Pending: prefix + "pending",
		Written: prefix + "written", Meta: prefix + "meta", Stream: prefix + "events",
		Lock: prefix + "poller"}
}
