// The VRRP I/O shell: raw IP protocol 112 on the ports' kernel mirrors, virtual addresses
// added and removed there (the netlink mirror carries them into the fast path), gratuitous
// ARP / unsolicited NA. The protocol itself is StraitVRRP's state machines.
