// HA state sync between the active and the standby node over the dedicated sync link:
// message codec, an authenticated and encrypted session, and the I/O-free sync state
// machines (IKE/CHILD SA state, ESP sequence numbers).
