/* Unit tests of the TLS and web hunts' pure helpers (src/hunt/tlsweb.h). */
#include "hunt/hunt.h"
#include "hunt/tlsweb.h"

#include "t.h"

#include <stdint.h>

TEST(hunt_tlsweb_name_covers)
{
    ASSERT_TRUE(tw_name_covers("www.example.com", "WWW.Example.com"));
    ASSERT_TRUE(tw_name_covers("www.example.com.", "www.example.com"));
    ASSERT_TRUE(tw_name_covers("*.example.com", "a.example.com"));
    ASSERT_TRUE(tw_name_covers("*.Example.com", "login.example.COM."));
    /* RFC 6125 §6.4.3: the wildcard is exactly one whole left-most label */
    ASSERT_TRUE(!tw_name_covers("*.example.com", "example.com"));
    ASSERT_TRUE(!tw_name_covers("*.example.com", "a.b.example.com"));
    ASSERT_TRUE(!tw_name_covers("*.example.com", ".example.com"));
    ASSERT_TRUE(!tw_name_covers("*.example.com", "aexample.com"));
    ASSERT_TRUE(!tw_name_covers("www.example.com", "www.example.co"));
    ASSERT_TRUE(!tw_name_covers("example.com", "www.example.com"));
    ASSERT_TRUE(!tw_name_covers("", "x"));
    ASSERT_TRUE(!tw_name_covers("*.", "a."));
}

TEST(hunt_tlsweb_under)
{
    ASSERT_TRUE(hunt_name_under("content.dropboxapi.com", "dropboxapi.com"));
    ASSERT_TRUE(hunt_name_under("DROPBOXAPI.COM", "dropboxapi.com"));
    ASSERT_TRUE(hunt_name_under("a.b.mega.co.nz", "*.mega.co.nz"));
    ASSERT_TRUE(!hunt_name_under("notdropboxapi.com", "dropboxapi.com"));
    ASSERT_TRUE(!hunt_name_under("dropboxapi.com.evil.example", "dropboxapi.com"));
    ASSERT_TRUE(!hunt_name_under("com", "dropboxapi.com"));
    ASSERT_TRUE(!hunt_name_under("x.com", ""));
}

TEST(hunt_tlsweb_ua_classify)
{
    struct tw_ua_info k;
    k = tw_ua_classify("Mozilla/5.0 (Windows NT; Windows NT 10.0; en-US) WindowsPowerShell/5.1.1");
    ASSERT_EQ(k.cls, TW_UA_POWERSHELL);
    ASSERT_STR_EQ(k.attack, "T1059.001 T1105");
    k = tw_ua_classify("Mozilla/5.0 (Windows NT 10.0; Microsoft Windows 10.0.19045; en-US) "
                       "PowerShell/7.3.4");
    ASSERT_EQ(k.cls, TW_UA_POWERSHELL);
    ASSERT_EQ(tw_ua_classify("Microsoft BITS/7.8").cls, TW_UA_BITS);
    ASSERT_EQ(tw_ua_classify("Microsoft-CryptoAPI/10.0").cls, TW_UA_CERTUTIL);
    ASSERT_EQ(tw_ua_classify("CertUtil URL Agent").cls, TW_UA_CERTUTIL);
    ASSERT_EQ(tw_ua_classify("rclone/v1.65.0").cls, TW_UA_RCLONE);
    ASSERT_EQ(tw_ua_classify("curl/8.4.0").cls, TW_UA_TOOL);
    ASSERT_EQ(tw_ua_classify("Wget/1.21.2").cls, TW_UA_TOOL);
    ASSERT_EQ(tw_ua_classify("python-requests/2.31.0").cls, TW_UA_TOOL);
    ASSERT_EQ(tw_ua_classify("Go-http-client/1.1").cls, TW_UA_TOOL);
    ASSERT_EQ(tw_ua_classify("").cls, TW_UA_EMPTY);
    ASSERT_EQ(tw_ua_classify(NULL).cls, TW_UA_EMPTY);
    ASSERT_EQ(tw_ua_classify("   ").cls, TW_UA_EMPTY);
    ASSERT_EQ(tw_ua_classify("Microsoft-Delivery-Optimization/10.0").cls, TW_UA_BENIGN);
    ASSERT_EQ(tw_ua_classify("Microsoft-Delivery-Optimization/10.0").base, 0);
    k = tw_ua_classify("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like "
                       "Gecko) Chrome/120.0.0.0 Safari/537.36");
    ASSERT_EQ(k.cls, TW_UA_BROWSER);
    ASSERT_EQ(k.base, 0);
    /* a curl that pretends to be nothing else is still curl; a marker inside a browser string is
       only honoured for PowerShell, which keeps a Mozilla front */
    ASSERT_EQ(tw_ua_classify("Mozilla/5.0 curl/8.0").cls, TW_UA_OTHER);
    ASSERT_EQ(tw_ua_classify("Network_Module/1.0 (RX-A8A)").cls, TW_UA_OTHER);
}

TEST(hunt_tlsweb_uri_classes)
{
    ASSERT_TRUE(tw_uri_is_pki("/GoodCAR3.crl"));
    ASSERT_TRUE(tw_uri_is_pki("http://crl.example/x/CA.CRT?x=1"));
    ASSERT_TRUE(tw_uri_is_pki("/msdownload/update/v3/static/trustedr/en/authrootstl.cab"));
    ASSERT_TRUE(tw_uri_is_pki("/ocsp/abc"));
    ASSERT_TRUE(tw_uri_is_pki("/MFEwTzBNMEswSTAJBgUrDgMCGgUABBQ1mI4Ww4R5LZiQ295pj4OF%2Fyq7nQ"));
    ASSERT_TRUE(!tw_uri_is_pki("/update.exe"));
    ASSERT_TRUE(!tw_uri_is_pki("/Main/index.html"));
    ASSERT_TRUE(!tw_uri_is_pki("/MFEw?x"));
    ASSERT_TRUE(!tw_uri_is_pki(NULL));
    ASSERT_TRUE(tw_uri_is_payload("/a.ps1"));
    ASSERT_TRUE(tw_uri_is_payload("http://h/x/Tool.EXE?dl=1"));
    ASSERT_TRUE(tw_uri_is_payload("/s.hta#x"));
    ASSERT_TRUE(!tw_uri_is_payload("/a.ps1x"));
    ASSERT_TRUE(!tw_uri_is_payload("/index.html?file=a.exe"));
    ASSERT_TRUE(tw_host_is_pki("ocsp.digicert.com"));
    ASSERT_TRUE(tw_host_is_pki("crl3.digicert.com"));
    ASSERT_TRUE(tw_host_is_pki("c.pki.goog"));
    ASSERT_TRUE(tw_host_is_pki("ctldl.windowsupdate.com"));
    ASSERT_TRUE(!tw_host_is_pki("files.quick-share.example"));
    ASSERT_TRUE(!tw_host_is_pki("acrlabs.example"));
    ASSERT_TRUE(!tw_host_is_pki(""));
}

TEST(hunt_tlsweb_dn_attr)
{
    char v[64];
    const char *dn = "CN=Major Cobalt Strike,OU=AdvancedPenTesting,O=cobaltstrike,L=Somewhere,"
                     "ST=Cyberspace,C=Earth";
    ASSERT_EQ(tw_dn_attr(dn, "CN", v, sizeof v), 0);
    ASSERT_STR_EQ(v, "Major Cobalt Strike");
    ASSERT_EQ(tw_dn_attr(dn, "o", v, sizeof v), 0);
    ASSERT_STR_EQ(v, "cobaltstrike");
    ASSERT_EQ(tw_dn_attr(dn, "C", v, sizeof v), 0);
    ASSERT_STR_EQ(v, "Earth");
    ASSERT_EQ(tw_dn_attr(dn, "SERIALNUMBER", v, sizeof v), -1);
    /* RFC 4514 escapes: "\," and "\2C" are commas inside a value */
    ASSERT_EQ(tw_dn_attr("CN=a,O=Cloudflare\\, Inc.,C=US", "O", v, sizeof v), 0);
    ASSERT_STR_EQ(v, "Cloudflare, Inc.");
    ASSERT_EQ(tw_dn_attr("O=A\\2CB", "O", v, sizeof v), 0);
    ASSERT_STR_EQ(v, "A,B");
    ASSERT_EQ(tw_dn_attr("CN=abcdefgh", "CN", v, 4), 0);
    ASSERT_STR_EQ(v, "abc");
    ASSERT_EQ(tw_dn_attr("", "CN", v, sizeof v), -1);
    ASSERT_EQ(tw_dn_attr("garbage", "CN", v, sizeof v), -1);
}

TEST(hunt_tlsweb_cert_default)
{
    double s = 0;
    struct tw_cert_names cs = {"08bb00ee", "", "CN=x", "CN=x", 1};
    ASSERT_STR_EQ(tw_cert_default(&cs, &s), "Cobalt Strike");
    ASSERT_TRUE(s == 1.0);
    struct tw_cert_names cs2 = {"01", "", "CN=Major Cobalt Strike,O=cobaltstrike,C=Earth", "", 1};
    ASSERT_STR_EQ(tw_cert_default(&cs2, &s), "Cobalt Strike");
    struct tw_cert_names cs3 = {"01", "6ECE5ECE4192683D2D84E25B0BA7E04F9CB7EB7C", "CN=y", "", 0};
    ASSERT_STR_EQ(tw_cert_default(&cs3, &s), "Cobalt Strike");
    struct tw_cert_names posh = {"03e8", "", "CN=P18055077,OU=Jethpro,O=Pajfds,C=US", "", 1};
    ASSERT_STR_EQ(tw_cert_default(&posh, &s), "PoshC2");
    struct tw_cert_names empire = {"7f", "", "C=US", "C=US", 1};
    ASSERT_TRUE(tw_cert_default(&empire, &s) != NULL);
    ASSERT_TRUE(s > 0.8 && s < 1.0);
    empire.self_signed = 0; /* a CA-issued "C=US" is no Empire default */
    ASSERT_TRUE(tw_cert_default(&empire, &s) == NULL);
    struct tw_cert_names msf = {"7f", "", "CN=qzkvbx", "CN=qzkvbx", 1};
    ASSERT_TRUE(tw_cert_default(&msf, &s) != NULL);
    struct tw_cert_names local = {"7f", "", "CN=localhost", "CN=localhost", 1};
    ASSERT_TRUE(tw_cert_default(&local, &s) == NULL);
    struct tw_cert_names upper = {"7f", "", "CN=Router", "CN=Router", 1};
    ASSERT_TRUE(tw_cert_default(&upper, &s) == NULL);
    struct tw_cert_names rat = {"7f", "", "CN=AsyncRAT Server", "CN=AsyncRAT Server", 1};
    ASSERT_STR_EQ(tw_cert_default(&rat, &s), "AsyncRAT");
    struct tw_cert_names widgits = {"7f", "", "O=Internet Widgits Pty Ltd,ST=Some-State,C=AU", "",
                                    1};
    ASSERT_TRUE(tw_cert_default(&widgits, &s) != NULL);
    ASSERT_TRUE(s < 0.7);
    struct tw_cert_names google = {"7a5b0bd895632f87", "", "CN=*.google.com,O=Google Inc,C=US",
                                   "CN=Google Internet Authority G2,O=Google Inc,C=US", 0};
    ASSERT_TRUE(tw_cert_default(&google, &s) == NULL);
    struct tw_cert_names empty = {NULL, NULL, NULL, NULL, 0};
    ASSERT_TRUE(tw_cert_default(&empty, &s) == NULL);
}

TEST(hunt_tlsweb_parse_utc)
{
    ASSERT_EQ(tw_parse_utc("1970-01-01T00:00:01Z"), 1000000000LL);
    ASSERT_EQ(tw_parse_utc("2024-03-06T08:00:00Z"), 1709712000LL * 1000000000LL);
    ASSERT_EQ(tw_parse_utc("2000-02-29T12:00:00Z"), 951825600LL * 1000000000LL);
    ASSERT_EQ(tw_parse_utc("9999-12-31T23:59:59Z"), INT64_MAX);
    ASSERT_EQ(tw_parse_utc("2024-13-01T00:00:00Z"), 0);
    ASSERT_EQ(tw_parse_utc("2024-03-06 08:00:00"), 0);
    ASSERT_EQ(tw_parse_utc(""), 0);
    ASSERT_EQ(tw_parse_utc(NULL), 0);
}

TEST(hunt_tlsweb_ip16)
{
    uint8_t ip[16];
    const uint8_t v4[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 89, 44, 169, 135};
    ASSERT_EQ(tw_ip16("89.44.169.135", ip), 0);
    ASSERT_MEM_EQ(ip, v4, 16);
    ASSERT_EQ(tw_ip16("2001:db8::1", ip), 0);
    ASSERT_EQ(ip[0], 0x20);
    ASSERT_EQ(ip[15], 1);
    ASSERT_EQ(tw_ip16("example.com", ip), -1);
    ASSERT_EQ(tw_ip16(NULL, ip), -1);
}
