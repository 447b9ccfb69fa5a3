/*
 * Every per-packet counter of the fast path, declared once: symbol, kind, name, reason.
 * Counters live per lcore (struct fp_worker.counters) and are summed only for display.
 */
#ifndef STRAIT_FP_COUNTERS_H
#define STRAIT_FP_COUNTERS_H

#define FP_FOREACH_COUNTER(_)                                                                        \
	_(RX,               FORWARD,   "rx",                "packets received on ports")                   \
	_(FWD_IPV4,         FORWARD,   "ipv4-forwarded",    "IPv4 packets forwarded by the fast path")     \
	_(FWD_IPV6,         FORWARD,   "ipv6-forwarded",    "IPv6 packets forwarded by the fast path")     \
	_(FROM_KERNEL,      FORWARD,   "from-kernel",       "packets the kernel sent out through a mirror") \
	_(ESP_ENCRYPTED,    FORWARD,   "esp-encrypted",     "packets encrypted into ESP")                  \
	_(ESP_DECRYPTED,    FORWARD,   "esp-decrypted",     "ESP packets authenticated and decrypted")     \
	_(ESP_FRAGMENTED,   FORWARD,   "esp-fragmented",    "IPv4 packets without DF fragmented to fit the tunnel, then encrypted") \
	_(EXC_ARP,          EXCEPTION, "arp",               "ARP, handed to the kernel")                   \
	_(EXC_LOCAL,        EXCEPTION, "local",             "for an address of the box")                   \
	_(EXC_MULTICAST,    EXCEPTION, "multicast",         "multicast, broadcast or link-local")          \
	_(EXC_NO_NEIGHBOR,  EXCEPTION, "no-neighbor",       "next hop not resolved yet: the kernel resolves it") \
	_(EXC_MTU,          EXCEPTION, "mtu",               "bigger than the egress MTU: the kernel fragments or answers ICMP") \
	_(EXC_KERNEL_ROUTE, EXCEPTION, "kernel-route",      "the route hands it to the kernel")            \
	_(EXC_OTHER,        EXCEPTION, "other",             "a protocol the fast path does not handle")    \
	_(DROP_L2_SHORT,    DROP,      "l2-short",          "frame shorter than an Ethernet header")       \
	_(DROP_OTHER_HOST,  DROP,      "other-host",        "unicast frame for another MAC address")       \
	_(DROP_IP4_HDR,     DROP,      "ipv4-bad-header",   "IPv4 version or IHL invalid, or header truncated") \
	_(DROP_IP4_LEN,     DROP,      "ipv4-bad-length",   "IPv4 total length disagrees with the frame")  \
	_(DROP_IP4_CKSUM,   DROP,      "ipv4-bad-checksum", "IPv4 header checksum wrong")                  \
	_(DROP_IP6_HDR,     DROP,      "ipv6-bad-header",   "IPv6 version invalid or header truncated")    \
	_(DROP_IP6_LEN,     DROP,      "ipv6-bad-length",   "IPv6 payload length disagrees with the frame") \
	_(DROP_TTL,         DROP,      "ttl-expired",       "IPv4 TTL would reach zero")                   \
	_(DROP_HOPLIMIT,    DROP,      "hop-limit-expired", "IPv6 hop limit would reach zero")             \
	_(DROP_NO_ROUTE,    DROP,      "no-route",          "no route to the destination")                 \
	_(DROP_BLACKHOLE,   DROP,      "blackhole",         "a blackhole route matched")                   \
	_(DROP_VRRP_BACKUP, DROP,      "vrrp-backup",       "for a virtual address this node is VRRP Backup for: the Master's") \
	_(DROP_TX_FULL,     DROP,      "tx-full",           "port TX queue full")                          \
	_(DROP_EXC_FULL,    DROP,      "exception-full",    "exception ring to the kernel full")           \
	_(DROP_MIRROR_TX,   DROP,      "mirror-tx-failed",  "the kernel mirror refused the packet")        \
	_(DROP_KERNEL_FULL, DROP,      "from-kernel-full",  "ring from the kernel to the port full")       \
	_(DROP_ESP_NO_SA,   DROP,      "esp-unknown-spi",   "ESP for an SPI with no inbound SA")           \
	_(DROP_ESP_INACTIVE,DROP,      "esp-sa-inactive",   "the SA is installed inactive or expired")     \
	_(DROP_ESP_SHORT,   DROP,      "esp-truncated",     "ESP packet shorter than header, IV and ICV")  \
	_(DROP_ESP_REPLAY,  DROP,      "esp-replay",        "sequence number replayed or left of the window") \
	_(DROP_ESP_AUTH,    DROP,      "esp-auth-failed",   "ICV did not verify")                          \
	_(DROP_ESP_TRAILER, DROP,      "esp-bad-trailer",   "bad padding or next header after decryption") \
	_(DROP_ESP_INNER,   DROP,      "esp-bad-inner",     "decrypted packet is not a valid IP packet")   \
	_(DROP_ESP_POLICY,  DROP,      "esp-policy-mismatch", "inner addresses outside the SA's traffic selectors") \
	_(DROP_ESP_SEQ_END, DROP,      "esp-seq-exhausted", "outbound SA ran out of sequence numbers")     \
	_(DROP_ESP_NO_ROOM, DROP,      "esp-no-room",       "no head or tail room to add ESP")             \
	_(DROP_ESP_TOO_BIG, DROP,      "esp-too-big",       "bigger than the tunnel MTU and not fragmentable: ICMP frag-needed / ICMPv6 packet-too-big sent") \
	_(DROP_SPD_DISCARD, DROP,      "spd-discard",       "a discard policy matched")                   \
	_(DROP_RESOLVING,   DROP,      "resolving",         "own packet's next hop not resolved yet: the kernel was asked to resolve it")

enum fp_counter_id {
#define _(sym, kind, name, reason) FP_CTR_##sym,
	FP_FOREACH_COUNTER(_)
#undef _
	FP_CTR_MAX
};

#endif
