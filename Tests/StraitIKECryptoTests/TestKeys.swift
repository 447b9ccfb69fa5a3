// Keys made for these tests only (never used anywhere else), with:
//   openssl ecparam -name prime256v1 -genkey -noout -out p256.pem
//   openssl ecparam -name secp384r1 -genkey -noout -out p384.pem
//   openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.pem
//   openssl pkey -in KEY.pem -pubout
// and signatures over `openSSLSignedOctets` made by the OpenSSL command line:
//   printf 'IKEv2 signed octets: RealMessage | Nonce | MACedID' > octets.bin
//   openssl dgst -sha256 -sign p256.pem octets.bin           (DER; r|s via Python's
//   openssl dgst -sha384 -sign p384.pem octets.bin            cryptography decode_dss_signature)
//   openssl dgst -sha256 -sign rsa.pem octets.bin            (PKCS#1 v1.5)
//   openssl dgst -sha384 -sign rsa.pem octets.bin
//   openssl dgst -sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest -sign rsa.pem octets.bin

enum TestKeys {
    static let p256Private = """
        -----BEGIN EC PRIVATE KEY-----
        MHcCAQEEIEdcWmdR4gNM9fn95dnDbe7c1P5yqYgUFcYc2XSKUrnJoAoGCCqGSM49
        AwEHoUQDQgAEdv0GKI0e6i00JK1xfhaFtEJWsT/LPfT7mDnXQyGm2YB3vgVJTz+z
        OqhzaEJUsa/5PWEXqR32WXzCzOZAS0S1RQ==
        -----END EC PRIVATE KEY-----
        """
    static let p256Public = """
        -----BEGIN PUBLIC KEY-----
        MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEdv0GKI0e6i00JK1xfhaFtEJWsT/L
        PfT7mDnXQyGm2YB3vgVJTz+zOqhzaEJUsa/5PWEXqR32WXzCzOZAS0S1RQ==
        -----END PUBLIC KEY-----
        """
    static let p384Private = """
        -----BEGIN EC PRIVATE KEY-----
        MIGkAgEBBDCdyKGA9ON0283lKcGbqBiCY0baB3EkI3oB4bYhVCa2NL9mW9Ov+D7U
        YH4hbLbqT/GgBwYFK4EEACKhZANiAATQvdpGUARTR5b3F6vD4QnQS3kUvRFHzqUA
        p/3+XJ3KTRf7zCJVUqzhPLswIBeKrofxaDiKSaTMEeuqJaymThG/HnCPugjbesK8
        ojgQUEu4GpJlxHf4z3iMK/xCEUDLOqs=
        -----END EC PRIVATE KEY-----
        """
    static let p384Public = """
        -----BEGIN PUBLIC KEY-----
        MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAE0L3aRlAEU0eW9xerw+EJ0Et5FL0RR86l
        AKf9/lydyk0X+8wiVVKs4Ty7MCAXiq6H8Wg4ikmkzBHrqiWspk4Rvx5wj7oI23rC
        vKI4EFBLuBqSZcR3+M94jCv8QhFAyzqr
        -----END PUBLIC KEY-----
        """
    static let rsaPrivate = """
        -----BEGIN PRIVATE KEY-----
        MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQDXgXx3wswPKum8
        MdzAZ1QrXJBNoaBE6Q7YKBvqMKhZCHTUpsDsHtl9zZ0gr9pkq31tMNZgA3xg1hYr
        MACSt0Xqgqws+8pD1ZLv4DMvc5Q0dhMq0C2g1Pdqkfub6a6rE5oi0Ek6YM183SdO
        Qy1MFlZfRDiJ+uECNF8K3XjfhYpWLGrW52/GRh/XDS6tVTA2fpwS76mB3hHFu3Ci
        kQLfTHs7KjmKlDReLgF+W6r7woV2+WWQbKllUJsGoNDmllVVN7+a7y+YIlwwJuyu
        Y5Q6abwFjY55GYpnWCtFf25c9e3YAbMJvsAw9vwS7jgne2goCoY68gJNEsmkWORP
        nD6On4YRAgMBAAECggEAG815yF2aQ+6uXvgz2aK7CikT+N/8NEe5AYwTJeCHJ41e
        vTySMSQ9vOw09E2bqFczhE3Dqnlop3mXPJUhzcvVOk8HdXo6ewvnvAi5scqAeVAu
        YtyetlwjW11gD5pTTYDm5szmVaC9gflqI7+o7WMIW5wKi0qRkt480MMH4BZzZXBy
        zKKurpx2oiP1Vaz5P6+e4u8V6sDqAUtlSaCneOxEwT/kt1kAduQQyQ3b0eTCpo04
        Osbsw/1ulax2dHDBTw986rmlsmZQmqn6JmkcDJ/Ha6lribe2+Gm9oYmhYsCq0wLJ
        JO3yCD0Ebc34JOH6pjpcuYvSVjBsKkifSyFN2yrO7QKBgQD7jbShwav8xe2cEtlz
        4nCML9YY1FOkbdTarcJFBw/8Hbd/RWgVeq1axzpvPBwfqLb9MLL5IfKxveNl/AEn
        f6kuhn8XvUzis9sT3fD0zcjL3j4/PvosKGo8nvh5GDl9YsbF3crZ+T7xnR6Def7u
        s7B0x/0jhsrKa/4QIu6ItbxV2wKBgQDbUKmbFOMhM59NCSuP3D/C194akYnrcdY3
        0krgzFhNK8e/xgN2i+w1UiIlQnaiBOJ+apcnvhPNwh9sZyPLtX+rsAyly+BQXmTz
        9joMtJrCkmhfoi4fecxpyE83/U8O0kF9+Cy7beo4szP1JNaQwyJ6sqzP8CH1Bn5T
        zbV2P8/1gwKBgHydnIgte1gDbUxOAi9oU7z+zZ8LQExKpJGYVo7/iqmoxwhjh8Zs
        OYio/YexTXVZjR0sjNziNmpa2VXiW2gH0/XaZweJnZcI5lSXNBDyCLEF7exC9If/
        lXFmh0zl9UTqM/I9h4on8UicP0t+mg4CMj4H/J0m3zsb+IZh560N6rjVAoGAHRgI
        R/BvaRomCdwrkTwQoVJtvmyMNVW2q1UUZdn15Nbn+sLT9sf9H92zdenpPvkS6t5N
        CxKmIeecr47HKuD6/NWv99ah/UdocQy7CrByz1kIy5cCM16/BVFzYOQTts2hropb
        tMmSBs+PFvg6Fp4sVsaZMkSS3KRt4cQqTHOOrO0CgYAcyQWddwVbxSQ6ruA/jNaC
        e8qZLQK/onPSvDkUQo7b8Bx6aYYxRSuAkhTtPnz+WjbS1FMb7aPH60Dzt1u1D6kl
        cazLrNOoON/DKEhb/IafUXFc2VzT3fgpNQUu7y1WrPfHn04FaSEaZtLgtI7jX0Zp
        evlAylpxfmyQtF9e5AlhjA==
        -----END PRIVATE KEY-----
        """
    static let rsaPublic = """
        -----BEGIN PUBLIC KEY-----
        MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA14F8d8LMDyrpvDHcwGdU
        K1yQTaGgROkO2Cgb6jCoWQh01KbA7B7Zfc2dIK/aZKt9bTDWYAN8YNYWKzAAkrdF
        6oKsLPvKQ9WS7+AzL3OUNHYTKtAtoNT3apH7m+muqxOaItBJOmDNfN0nTkMtTBZW
        X0Q4ifrhAjRfCt1434WKVixq1udvxkYf1w0urVUwNn6cEu+pgd4RxbtwopEC30x7
        Oyo5ipQ0Xi4Bfluq+8KFdvllkGypZVCbBqDQ5pZVVTe/mu8vmCJcMCbsrmOUOmm8
        BY2OeRmKZ1grRX9uXPXt2AGzCb7AMPb8Eu44J3toKAqGOvICTRLJpFjkT5w+jp+G
        EQIDAQAB
        -----END PUBLIC KEY-----
        """

    static let openSSLSignedOctets = Array("IKEv2 signed octets: RealMessage | Nonce | MACedID".utf8)

    static let p256SignatureDER = hex("""
        304502205237b78535e6b133ef1aa32f5930c6a021d8e002bf9aceac1e7e094cf7185e250221009f6f3a28a30cfb295dab
        dee72eef8cf25043865fa0a57d4dc037fe1d9b6e56fb
        """)
    static let p256SignatureRaw = hex("""
        5237b78535e6b133ef1aa32f5930c6a021d8e002bf9aceac1e7e094cf7185e25
        9f6f3a28a30cfb295dabdee72eef8cf25043865fa0a57d4dc037fe1d9b6e56fb
        """)
    static let p384SignatureDER = hex("""
        3065023100f7dbbea2f2086e93752d17ab8429e4c2237833a8d3d5418df3e9a1970728919285282765c12a4da2abaa805c
        a94a4cb20230172800676303cb30dbc6480bd11002037ad71daa0e1142f810fd46d4481b7336bbd53602dfa2a883c1a80d
        22b60c3e49
        """)
    static let p384SignatureRaw = hex("""
        f7dbbea2f2086e93752d17ab8429e4c2237833a8d3d5418df3e9a1970728919285282765c12a4da2abaa805ca94a4cb2
        172800676303cb30dbc6480bd11002037ad71daa0e1142f810fd46d4481b7336bbd53602dfa2a883c1a80d22b60c3e49
        """)
    static let rsaPKCS1SHA256Signature = hex("""
        0ed3006bbfe15c9c4b3dde1c86ead6959d876653429c569b86d5506767084e6a40b84e251d7e80fcb5a0414d04a0589a
        8c141109863c4f1d9c60160a74ca7b776813efcbb29951ba5af0af0fd0508089c74cad2496dac1c73edccc5eb9985fc4
        e84f22bb506f29854e8d3af462c020db6c90a9a5f91ddbd222b466bab95f7d5ac6d8d79e6b3b52271dfab988e85901e9
        fae197ae2058f822e1355d1485337017081c6792488f0fd9684589a3fc64697a681ae1cdbbf62de8de1d8c23dcf62ea7
        cc3aa1e00c58ae17201346f0ecc48bcc81d8b149c1e6e497d38771b2404144d3837980fe6f1555713a4969ddd26b0f91
        133b0297a76a3cb061434f65ed781a36
        """)
    static let rsaPKCS1SHA384Signature = hex("""
        28a1169bb1e77760182debff139d4547a27431ef3c661c8c99520b48a03f7f234ddf9a845495e11d2d3f6bd162f07e58
        1e571dea950119183ac985729094079e0c74535fea92c1735e50b08efe5a932c6f0ee5d125dbfa11ef8ac79e9842f978
        6e63acac8aed66ad36fadaaaf0317b3fefc071f939f86d4f45ffe76b51d0924e9d3801f3f110bc4b2ab1bba68bf7f77e
        60adba08498403f3f80c25d399349396709cfd5aae4a391f8edf0389aa8e75a1c09a8b7bcf6b157a1c02127a078d3a80
        4a97863085050fb5bd49872a7fb0b353d613fcc7b41a4e43b2f67f2359df67a2806346d47c61c2a4111cb40d8409dd9c
        27a7dd7e4680f5b177c9fb14c81a9339
        """)
    static let rsaPSSSHA256Signature = hex("""
        7650369cd1e281a05ae1dff6106547d26bfba214972ceef672e1e411b335ee741a25aa4df47bfac1419f2ea4632cc623
        c6d133dbdc99b78a92a24480b95aeb6cb037b274f0c4772fd3027c29fccca0c6dd80f498546d85a05b6a48a2cf281cff
        686cea7578fa27fc592cfc2355323707fe01dec59d5c8ac6cf0951d32a813ceded8be380f784955259c56e443243b64f
        c1683681b475dd74a2ef7f48cb06e522220b9ecee85e71b6233b942703ff67cc6897d7da99f59577dfa59907faa8b879
        ac18382d55c1dc1006a5f1b18bcf02a8de8285e478893a57d9f02e818dbc09859058699e9be36702a1241e9fdc1deca4
        6cf822080020287f0d2b7753456c17c3
        """)
}
