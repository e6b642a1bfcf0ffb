/* Unit tests for the SMB / DCE-RPC hunts' pure helpers (src/hunt/h_smbrpc.h). */
#include "t.h"

#include "hunt/h_smbrpc.h"

#include <math.h>
#include <stdlib.h>

TEST(hunt_smbrpc_glob)
{
    ASSERT_TRUE(hsr_glob("psexesvc*", "PSEXESVC-02694W-WIN10-13272-stdin"));
    ASSERT_TRUE(hsr_glob("*-stdin", "PSEXESVC-02694W-WIN10-13272-stdin"));
    ASSERT_TRUE(!hsr_glob("*-stdin", "PSEXESVC-02694W-WIN10-13272-stdout"));
    ASSERT_TRUE(hsr_glob("*.exe", "PSEXESVC.EXE"));
    ASSERT_TRUE(!hsr_glob("*.exe", "report.exe.txt"));
    ASSERT_TRUE(hsr_glob("*cmd*/c*", "C:\\Windows\\cmd.exe /c whoami"));
    ASSERT_TRUE(hsr_glob("*%comspec%*", "%COMSPEC% /Q /c echo cd"));
    ASSERT_TRUE(hsr_glob("*", ""));
    ASSERT_TRUE(!hsr_glob("a", ""));
    ASSERT_TRUE(hsr_glob("a*b*c", "aXXbYYbZc"));
    ASSERT_TRUE(!hsr_glob("a*b*c", "aXXbYYbZ"));
    /* A long run of stars against a long non-matching name ends (linear backtracking). */
    char name[4001];
    memset(name, 'a', 4000);
    name[4000] = '\0';
    ASSERT_TRUE(!hsr_glob("*a*a*a*a*a*a*a*a*b", name));
}

TEST(hunt_smbrpc_glob_any)
{
    const char *l = "psexesvc* *-stdin  remcom*,csexec*";
    ASSERT_EQ(hsr_glob_any(l, "PSEXESVC"), 1);
    ASSERT_EQ(hsr_glob_any(l, "x-stdin"), 2);
    ASSERT_EQ(hsr_glob_any(l, "RemCom_communicaton"), 3);
    ASSERT_EQ(hsr_glob_any(l, "csexecsvc"), 4);
    ASSERT_EQ(hsr_glob_any(l, "svcctl"), 0);
    ASSERT_EQ(hsr_glob_any("", "x"), 0);
    ASSERT_EQ(hsr_glob_any(NULL, "x"), 0);
}

TEST(hunt_smbrpc_json_has)
{
    ASSERT_TRUE(hsr_json_has("[\"create\",\"write\"]", "write"));
    ASSERT_TRUE(hsr_json_has("[\"create\",\"write\"]", "create"));
    ASSERT_TRUE(!hsr_json_has("[\"create\",\"overwrite\"]", "write"));
    ASSERT_TRUE(!hsr_json_has("[\"writes\"]", "write"));
    ASSERT_TRUE(hsr_json_has("open", "open"));
    ASSERT_TRUE(!hsr_json_has("open", "read"));
    ASSERT_TRUE(!hsr_json_has(NULL, "read"));
    ASSERT_TRUE(!hsr_json_has("[\"a\",\"b", "c")); /* unterminated: no crash */
}

TEST(hunt_smbrpc_names)
{
    ASSERT_STR_EQ(hsr_basename("\\\\172.16.66.36\\ADMIN$\\PSEXESVC.exe"), "PSEXESVC.exe");
    ASSERT_STR_EQ(hsr_basename("/a/b"), "b");
    ASSERT_STR_EQ(hsr_basename("x"), "x");
    ASSERT_TRUE(hsr_admin_share("\\\\FS01\\ADMIN$"));
    ASSERT_TRUE(hsr_admin_share("\\\\FS01\\c$"));
    ASSERT_TRUE(!hsr_admin_share("\\\\FS01\\IPC$"));
    ASSERT_TRUE(!hsr_admin_share("\\\\FS01\\share"));
    ASSERT_TRUE(!hsr_admin_share("\\\\FS01\\$"));
}

TEST(hunt_smbrpc_words)
{
    char d[32] = "";
    hsr_words_merge(d, sizeof d, "T1047 T1012");
    hsr_words_merge(d, sizeof d, "T1012 T1046  T1047");
    ASSERT_STR_EQ(d, "T1047 T1012 T1046");
    char small[8] = "";
    hsr_words_merge(small, sizeof small, "abcdef ghij");
    ASSERT_STR_EQ(small, "abcdef "); /* cut, terminated */
    char b[10];
    size_t o = 0;
    b[0] = '\0';
    hsr_put(b, sizeof b, &o, "%s", "12345");
    hsr_put(b, sizeof b, &o, "%s", "67890abc");
    ASSERT_STR_EQ(b, "123456789");
    ASSERT_EQ(o, 9);
}

TEST(hunt_smbrpc_hist)
{
    struct hsr_hist h;
    memset(&h, 0, sizeof h);
    ASSERT_TRUE(hsr_hist_median(&h) == 0);
    /* 101 values 1..101: median 51, within the bins' 10 %. */
    for (int i = 1; i <= 101; i++)
        hsr_hist_add(&h, i, 1);
    double m = hsr_hist_median(&h);
    ASSERT_TRUE(fabs(m - 51) / 51 < 0.1);
    ASSERT_EQ(hsr_hist_count_ge(&h, 1), 101);
    /* 90..101 are 12 values; the bin holding 90 starts at 76.1 (a fourth of a doubling). */
    ASSERT_TRUE(hsr_hist_count_ge(&h, 90) >= 12 && hsr_hist_count_ge(&h, 90) <= 26);
    /* Taking values out moves the median; taking out one never held changes nothing. */
    for (int i = 1; i <= 50; i++)
        hsr_hist_add(&h, i, -1);
    m = hsr_hist_median(&h);
    ASSERT_TRUE(fabs(m - 76) / 76 < 0.1);
    struct hsr_hist z;
    memset(&z, 0, sizeof z);
    hsr_hist_add(&z, 5, -1);
    ASSERT_EQ(z.total, 0);
    /* Zeros and huge values stay in range. */
    hsr_hist_add(&z, 0, 1);
    hsr_hist_add(&z, 0, 1);
    hsr_hist_add(&z, 1e300, 1);
    ASSERT_TRUE(hsr_hist_median(&z) == 0);
    ASSERT_EQ(hsr_hist_count_ge(&z, 1e12), 1);
}

TEST(hunt_smbrpc_psexec_score)
{
    /* Bits: create 0, exe_admin 1, pipe 2, bad_path 3, link 4, change 5, start 6, exe_share 7. */
    ASSERT_TRUE(hsr_psexec_score(0) == 0);
    ASSERT_TRUE(fabs(hsr_psexec_score(1u << 0) - 0.55) < 1e-9);
    ASSERT_TRUE(fabs(hsr_psexec_score(1u << 7) - 0.15) < 1e-9);
    /* The real PsExec capture: create, exe_admin, pipe, start. */
    double real = hsr_psexec_score(1u << 0 | 1u << 1 | 1u << 2 | 1u << 6);
    ASSERT_TRUE(fabs(real - (1 - 0.45 * 0.5 * 0.5 * 0.8)) < 1e-9);
    /* Every further signal raises the score. */
    ASSERT_TRUE(hsr_psexec_score(1u << 0 | 1u << 6) > hsr_psexec_score(1u << 0));
    ASSERT_TRUE(hsr_psexec_score(0xff) < 1);
}

TEST(hunt_smbrpc_rx_classify)
{
    int tech;
    const char *wbem = "9556dc99-828c-11cf-a37e-00aa003240c7";
    const char *drs = "e3514235-4b06-11d1-ab04-00c04fc2dcd2";
    ASSERT_TRUE(hsr_rx_classify(wbem, "ExecMethod", &tech) >
                hsr_rx_classify(wbem, "ExecQuery", &tech));
    ASSERT_EQ(tech, 0); /* wmi */
    ASSERT_TRUE(hsr_rx_classify(drs, "DRSGetNCChanges", &tech) > 0.9);
    ASSERT_TRUE(hsr_rx_classify(drs, "DRSCrackNames", &tech) < 0.3);
    ASSERT_TRUE(
        hsr_rx_classify("86d35949-83c9-4044-b424-db363231fd0c", "SchRpcRegisterTask", &tech) > 0.8);
    ASSERT_TRUE(hsr_rx_classify("86d35949-83c9-4044-b424-db363231fd0c", "SchRpcEnumTasks", &tech) <
                0.3);
    ASSERT_TRUE(hsr_rx_classify("338cd001-2244-31f1-aaaa-900038001003", "BaseRegSaveKey", &tech) >
                hsr_rx_classify("338cd001-2244-31f1-aaaa-900038001003", "BaseRegSetValue", &tech));
    ASSERT_TRUE(hsr_rx_classify("338cd001-2244-31f1-aaaa-900038001003", "BaseRegOpenKey", &tech) >
                0);
    hsr_rx_classify("367abb81-9844-35f1-ad32-98f038001003", "CreateServiceW", &tech);
    ASSERT_EQ(tech, -1); /* svcctl is psexec's */
    hsr_rx_classify(NULL, NULL, &tech);
    ASSERT_EQ(tech, -1);
}

TEST(hunt_smbrpc_collection_score)
{
    /* Many files and many bytes outrank either alone; more outranks less. */
    double both = hsr_collection_score(60, 60, 10), files = hsr_collection_score(60, 1, 10);
    ASSERT_TRUE(both > files);
    ASSERT_TRUE(hsr_collection_score(100, 1, 10) > hsr_collection_score(20, 1, 10));
    ASSERT_TRUE(fabs(hsr_collection_score(10, 10, 10) - 0.5) < 1e-9);
    ASSERT_TRUE(hsr_collection_score(1e9, 1e9, 10) <= 1);
}

TEST(hunt_smbrpc_rx_score)
{
    /* One call: the weight, barely raised; more calls raise it, never past 1. */
    double one = hsr_rx_score(0.7, 1, 0, 1);
    ASSERT_TRUE(one > 0.7 && one < 0.72);
    ASSERT_TRUE(hsr_rx_score(0.7, 100, 0, 1) > one);
    ASSERT_TRUE(hsr_rx_score(0.7, 100, 0, 1) < 0.77);
    /* Two other techniques on the same target: 1 - 0.3 * 0.75^2 from 0.7. */
    ASSERT_TRUE(fabs(hsr_rx_score(0.7, 0, 2, 1) - (1 - 0.3 * 0.5625)) < 1e-9);
    /* WinRM from a workstation once outranks an admin host's daily WinRM with many calls. */
    ASSERT_TRUE(hsr_rx_score(0.7, 4, 0, 1) > hsr_rx_score(0.7, 60, 0, 3));
    ASSERT_TRUE(fabs(hsr_rx_score(0.7, 0, 0, 3) - 0.35) < 1e-9);
    ASSERT_TRUE(hsr_rx_score(0.95, 1000, 6, 1) <= 1);
}
