// Real messages from strongSwan 5.9.8 (Debian bookworm's charon-systemd), captured with tcpdump on a veth
// pair between two network namespaces: an initiator at 192.0.2.2 with
//
//     proposals = aes128gcm16-aes256gcm16-prfsha256-prfsha384-x25519-ecp256-modp2048,
//                 aes256-aes128-sha256-sha384-x25519
//     fragment_size = 200      (so that its IKE_AUTH request goes out as two SKF fragments)
//
// and a responder at 192.0.2.1 with the same proposals, PSK authentication, ids site1 and gw. Messages on
// port 4500 are shown without the 4-byte non-ESP marker. The plaintexts and associated data come from
// both daemons' "enc = 3" logs (strongSwan dumps them around each AEAD operation), so they are strongSwan's
// own view of what the SK/SKF payloads protect. The Child SA was refused (NO_PROPOSAL_CHOSEN: the kernel
// there has no ESP), which changes nothing for the codec.
enum StrongSwanCapture {
    /// IKE_SA_INIT request: SA (2 proposals) KE(31) Ni N(NATD_S) N(NATD_D) N(FRAG_SUP) N(HASH_ALG) N(REDIR_SUP).
    static let ikeSAInitRequest = hex("""
    221c289571c905e100000000000000002120220800000000000001542200009402000048010100070300000c01000014800e0080\
    0300000c01000014800e010003000008020000050300000802000006030000080400001f0300000804000013000000080400000e\
    00000048020100070300000c0100000c800e01000300000c0100000c800e0080030000080300000c030000080300000d03000008\
    020000050300000802000006000000080400001f28000028001f0000603add4e3f90ddbba247a9819aa46481382b0eefd8f7baf3\
    89fef85749966f0e29000024a267e14409edec614e952a77fa7dcd2a48f21379295179da55a424f58d6f29c22900001c00004004\
    7d17c138e152ee079a7e2e8d81acbcd18b79c1cd2900001c000040050e6c742aedcee51470bace652dfb979fe6340343290000080\
    000402e290000100000402f00020003000400050000000800004016
    """)

    /// IKE_SA_INIT response: SA (1 proposal) KE Nr N(NATD_S) N(NATD_D) N(FRAG_SUP) N(HASH_ALG) N(CHDLESS_SUP) N(MULT_AUTH).
    static let ikeSAInitResponse = hex("""
    221c289571c905e1ce4b5708d5f8845e2120222000000000000000f02200002800000024010100030300000c01000014800e0080\
    0300000802000005000000080400001f28000028001f00008da068af1d8691f9af36e81e07982d050a656766b9ce6bfdef7ffb3d\
    9af4033b290000247498dc513eeb77c63f6f0544043fb1c8290237ce10ef8af7efc3cfdaf1c807752900001c000040045898ad41\
    93ee3018a2a21628522dde83e089c04d2900001c00004005261a7ecd5f2c4212a38bfb8f2834a10981dee7ea290000080000402e\
    290000100000402f000200030004000529000008000040220000000800004014
    """)

    /// IKE_AUTH request, fragment 1 of 2 (SKF, first inner payload IDi).
    static let ikeAuthRequestFragment1 = hex("""
    221c289571c905e1ce4b5708d5f8845e3520230800000001000000a82300008c00010002cc9151f99d90b914883124880a537d10\
    b419afbf3bf98fd663a10dbe6ecc69566930c019e904f7638851297b1656d7c166abae77b1ee7d83c67d02536742c8b889053b09\
    186230d9bafd20059f5c43aa77521491d44dc28e9cbb528c514848600399678f3500dc351315697c1e1677e0085cd275b033ca8e\
    d8b432b37bcc9c5cfa1f2c22
    """)

    /// IKE_AUTH request, fragment 2 of 2 (SKF, Next Payload 0).
    static let ikeAuthRequestFragment2 = hex("""
    221c289571c905e1ce4b5708d5f8845e3520230800000001000000950000007900020002cc9151f99d90b917e8462a0c204c601c\
    362d41044f0d186eb751c34ead512ce93baf4bbba530822512f6bf74506951290f749b7556d72e970bad1a67abadd0c609d78e5c\
    a8733c1263efa6f35582265d0ca625c981f7bd6eb53fec59053760895a180fb03184c340aef107f0ddfaa39af4
    """)

    /// The two fragments' plaintexts (padding removed), concatenated: the inner chain of the IKE_AUTH request,
    /// IDi N(INIT_CONTACT) IDr AUTH SA TSi TSr N(MOBIKE_SUP) N(NO_ADD_ADDR) N(MULT_AUTH) N(EAP_ONLY) N(MSG_ID_SYN_SUP).
    static let ikeAuthRequestPlain = hex("""
    2900000d02000000736974653124000008000040002700000a0200000067772100002802000000416caff7fad507e9d5f2117544\
    5f98d51d5518cf76ae3ccdb36ca5fc96a2b82e2c0000240000002001030402cf143b1d0300000c01000014800e00800000000805\
    000000\
    2d00001801000000070000100000ffff0a0200000a0200ff2900001801000000070000100000ffff0a0100000a0100ff29000008\
    0000400c290000080000400f290000080000401429000008000040210000000800004024
    """)

    /// Associated data strongSwan used for fragment 1: IKE header, SKF generic header, fragment number and total.
    static let ikeAuthRequestFragment1AAD = hex(
        "221c289571c905e1ce4b5708d5f8845e3520230800000001000000a82300008c00010002")

    /// IKE_AUTH response (SK, first inner payload IDr).
    static let ikeAuthResponse = hex("""
    221c289571c905e1ce4b5708d5f8845e2e202320000000010000008324000067aa26761b3d6d8772e1bb669c7eb9c30e7b8ab6d3\
    0cf6a3503cb5dcfc8239ef97b90d05036f3c8ef1a59cd8242aebb68e7c2bf77e961a2ea68a95a255e48abe1a3a7263491974a192\
    cd67e2c5c4f37ed94484a3c9a0f46c6625167b8029b0911e723129
    """)

    /// Its plaintext: IDr AUTH N(MOBIKE_SUP) N(NO_ADD_ADDR) N(NO_PROPOSAL_CHOSEN).
    static let ikeAuthResponsePlain = hex("""
    2700000a02000000677729000028020000007cc708b722409534817a1fad0a7d2f5fa0d1b8603b52086dcb5bb6a40a346c272900\
    00080000400c290000080000400f000000080000000e
    """)

    /// Its associated data: IKE header and SK generic header.
    static let ikeAuthResponseAAD = hex("221c289571c905e1ce4b5708d5f8845e2e202320000000010000008324000067")

    /// INFORMATIONAL request from the initiator deleting the IKE SA (SK around D), and the peer's own
    /// INFORMATIONAL request doing the same (message ID 0 in its direction).
    static let informationalDelete = hex("""
    221c289571c905e1ce4b5708d5f8845e2e20250800000002000000412a000025cc9151fa9d90b915f6e96b35eaf6c9c7ceff4c17\
    59af9380c6c16389f6425cbddd
    """)
    static let informationalDeleteFromResponder = hex("""
    221c289571c905e1ce4b5708d5f8845e2e20250000000000000000412a0000252a26761a3d6d87727d8b0e435f9afae2ff86c371\
    f2371250a2d11a05e452db8fda
    """)
    /// The plaintext of both: D (IKE, SPI size 0, no SPIs).
    static let informationalDeletePlain = hex("0000000801000000")

    static let all: [[UInt8]] = [
        ikeSAInitRequest, ikeSAInitResponse, ikeAuthRequestFragment1, ikeAuthRequestFragment2, ikeAuthResponse,
        informationalDelete, informationalDeleteFromResponder,
    ]
}
