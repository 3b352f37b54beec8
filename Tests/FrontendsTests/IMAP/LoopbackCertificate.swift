extension TestCertificates {
    /// A self-signed P-256 certificate for 127.0.0.1 (CN and subjectAltName DNS:localhost,
    /// DNS:127.0.0.1, IP:127.0.0.1), for clients that check the host name and cannot be told
    /// not to (mbsync), made with `openssl req -x509 -newkey ec -pkeyopt
    /// ec_paramgen_curve:prime256v1 -days 36500 -nodes -addext subjectAltName=…`.
    static let loopback = Pair(certificate: """
-----BEGIN CERTIFICATE-----
MIIBpTCCAUygAwIBAgIUBOg45oGTGh+kGXV52UIXrYfoJoUwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJMTI3LjAuMC4xMCAXDTI2MTIwMTEwNDI1NloYDzIxMjYxMTA3
MTA0MjU2WjAUMRIwEAYDVQQDDAkxMjcuMC4wLjEwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAATyxwyBAg6EZelT+BbxdK1blZ+H5z7Tuu6/mMuPxtDbh30I+Qx506I1
9bcVqv2YY7gP6xYYQW5MpThPyPBiW5Wjo3oweDAdBgNVHQ4EFgQU5B8ERQTQn5Au
AQV85J4b1NoJU4kwHwYDVR0jBBgwFoAU5B8ERQTQn5AuAQV85J4b1NoJU4kwDwYD
VR0TAQH/BAUwAwEB/zAlBgNVHREEHjAcgglsb2NhbGhvc3SCCTEyNy4wLjAuMYcE
fwAAATAKBggqhkjOPQQDAgNHADBEAiBRJehXDXa84Zrl5czh5ym2o/4Xv9nT6c+8
4bAw3ExjLgIgcgg3AUjCoH8fRzOMMzXOLtZOcE71FsjvWTpSFvxdr8w=
-----END CERTIFICATE-----
""", key: """
-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg1SISjS6L4a240w5S
B/J4Xp68z/yFO2zZzN5X/pdePEOhRANCAATyxwyBAg6EZelT+BbxdK1blZ+H5z7T
uu6/mMuPxtDbh30I+Qx506I19bcVqv2YY7gP6xYYQW5MpThPyPBiW5Wj
-----END PRIVATE KEY-----
""", serial: "04e838e681931a1fa4197579d94217ad87e82685")
}
