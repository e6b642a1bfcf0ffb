/*
 * dcerpc.c — connection-oriented DCE-RPC ([C706] ch. 12, [MS-RPCE] 2.2) over
 * TCP (ncacn_ip_tcp, proto_dcerpc) and over SMB named pipes (ncacn_np, the
 * dcerpc_conn_* calls made by the SMB parser).
 *
 * Every PDU starts with the common header ([C706] 12.6.3.1), 16 bytes:
 *
 *     0        1        2        3        4 . . . . 7   8 . . 9   10 . 11   12 . . . . 15
 *   +--------+--------+--------+--------+------------+---------+---------+--------------+
 *   | vers 5 | minor  | PTYPE  | flags  | drep[4]    | frag_len| auth_len| call_id      |
 *   +--------+--------+--------+--------+------------+---------+---------+--------------+
 *   drep[0] high nibble: 1 = little-endian integers, 0 = big-endian ([C706] 14.1).
 *   Every integer after byte 8, and every NDR integer in the stub, follows it.
 *
 * After the header, by PTYPE ([C706] 12.6.4):
 *   request (0)   alloc_hint u32, p_cont_id u16, opnum u16, [object UUID if flags & 0x80],
 *                 stub data
 *   response (2)  alloc_hint u32, p_cont_id u16, cancel_count u8, reserved u8, stub data
 *   fault (3)     alloc_hint u32, p_cont_id u16, cancel_count u8, reserved u8, status u32,
 *                 reserved u32
 *   bind (11) / alter_context (14)
 *                 max_xmit u16, max_recv u16, assoc_group u32,
 *                 n_context u8, 3 reserved, n × { p_cont_id u16, n_transfer u8, reserved u8,
 *                 abstract syntax (UUID 16 + version u32: major low 16 bits, minor high 16),
 *                 n_transfer × transfer syntax (UUID 16 + version u32) }
 *   bind_ack (12) / alter_context_resp (15)
 *                 max_xmit u16, max_recv u16, assoc_group u32, sec_addr len u16 + bytes
 *                 (the server's endpoint, "\PIPE\drsuapi" or a port, NUL included),
 *                 pad to 4, n_results u8, 3 reserved,
 *                 n × { result u16, reason u16, transfer syntax 20 }   (one per offered context,
 *                 in order; result 3 = negotiate_ack, [MS-RPCE] 2.2.2.4)
 *   bind_nak (13) reject_reason u16, …
 * Authenticated PDUs end with an auth verifier ([C706] 13.2.6.1, [MS-RPCE] 2.2.2.11):
 *   auth_pad (auth_pad_length bytes) | sec_trailer { auth_type u8, auth_level u8,
 *   auth_pad_length u8, reserved u8, auth_context_id u32 } | auth_value (auth_len bytes)
 * so the stub is [header+fixed part, frag_len - auth_len - 8 - auth_pad_length).  At
 * auth_level 6 (packet privacy) the stub is sealed and is not decoded here.
 *
 * Requests may come in several fragments (first_frag 0x01 … last_frag 0x02); their stubs
 * are joined (cap 1 MiB) before the NDR stub decoders run ([C706] 14: conformant varying
 * strings are max_count u32, offset u32, actual_count u32, the characters, aligned to 4;
 * [unique] pointers are a 4-byte referent id, 0 = NULL).  Decoded stubs:
 *   svcctl RCreateServiceW/A/WOW64W/WOW64A (12/24/45/44) [MS-SCMR] 3.1.4.12,
 *          RChangeServiceConfigW/A (11/23) [MS-SCMR] 3.1.4.11
 *   atsvc  NetrJobAdd (0) [MS-TSCH] 3.2.5.2.1
 *   ITaskSchedulerService SchRpcRegisterTask (1) [MS-TSCH] 3.2.5.4.2
 *
 * Records: one "dcerpc" record per call (request and its response/fault, matched by
 * call_id), one "dcerpc.bind" record per bind / alter_context with every context
 * offered and what the server answered.
 */
#include "proto/dcerpc.h"

#include "core/buf.h"
#include "core/rdr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    PT_REQUEST = 0,
    PT_RESPONSE = 2,
    PT_FAULT = 3,
    PT_BIND = 11,
    PT_BIND_ACK = 12,
    PT_BIND_NAK = 13,
    PT_ALTER = 14,
    PT_ALTER_RESP = 15,
    PT_AUTH3 = 16,
    PT_SHUTDOWN = 17,
    PT_CO_CANCEL = 18,
    PT_ORPHANED = 19,
    PT_RTS = 20
};

enum { PFC_FIRST = 0x01, PFC_LAST = 0x02, PFC_OBJECT = 0x80 };

#define DCERPC_HDR 16
#define DCERPC_MAX_CALLS 256
#define DCERPC_MAX_CTX 64
#define DCERPC_STUB_CAP (1u << 20)   /* one reassembled request stub */
#define DCERPC_STUB_TOTAL (4u << 20) /* stubs buffered by one connection at once */
#define DCERPC_PDU_CAP 65536         /* frag_length is 16 bits */
#define DCERPC_EX_CAP (16 * 1024)    /* decoded stub fields of one call */
#define DCERPC_STR_CAP 4096          /* one decoded string, UTF-8 bytes */
#define DCERPC_XML_CAP 1024          /* start of a task's XML */
#define DCERPC_PIPE_CAP 256
#define AUTH_LEVEL_PRIVACY 6

/* ---------------------------------------------------------------- interfaces */

/*
 * Operation names, index = opnum, from each spec's "Methods in RPC Opnum Order"
 * table.  NULL where the spec reserves the opnum (OpnumNNNotUsedOnWire).  The
 * leading R / IDL_ of the IDL names is dropped, as Zeek and tshark show them.
 */
// clang-format off
/* [MS-SCMR] 3.1.4 */
static const char *const ops_svcctl[] = {
    "CloseServiceHandle", "ControlService", "DeleteService", "LockServiceDatabase",
    "QueryServiceObjectSecurity", "SetServiceObjectSecurity", "QueryServiceStatus",
    "SetServiceStatus", "UnlockServiceDatabase", "NotifyBootConfigStatus", NULL,
    "ChangeServiceConfigW", "CreateServiceW", "EnumDependentServicesW", "EnumServicesStatusW",
    "OpenSCManagerW", "OpenServiceW", "QueryServiceConfigW", "QueryServiceLockStatusW",
    "StartServiceW", "GetServiceDisplayNameW", "GetServiceKeyNameW", NULL, "ChangeServiceConfigA",
    "CreateServiceA", "EnumDependentServicesA", "EnumServicesStatusA", "OpenSCManagerA",
    "OpenServiceA", "QueryServiceConfigA", "QueryServiceLockStatusA", "StartServiceA",
    "GetServiceDisplayNameA", "GetServiceKeyNameA", NULL, "EnumServiceGroupW",
    "ChangeServiceConfig2A", "ChangeServiceConfig2W", "QueryServiceConfig2A",
    "QueryServiceConfig2W", "QueryServiceStatusEx", "EnumServicesStatusExA",
    "EnumServicesStatusExW", NULL, "CreateServiceWOW64A", "CreateServiceWOW64W", NULL,
    "NotifyServiceStatusChange", "GetNotifyResults", "CloseNotifyHandle", "ControlServiceExA",
    "ControlServiceExW", NULL, NULL, NULL, NULL, "QueryServiceConfigEx", NULL, NULL, NULL,
    "CreateWowService", "OpenSCManager2"};

/* [MS-TSCH] 3.2.5.2 */
static const char *const ops_atsvc[] = {
    "NetrJobAdd", "NetrJobDel", "NetrJobEnum", "NetrJobGetInfo"};

/* [MS-TSCH] 3.2.5.4 */
static const char *const ops_tsch[] = {
    "SchRpcHighestVersion", "SchRpcRegisterTask", "SchRpcRetrieveTask", "SchRpcCreateFolder",
    "SchRpcSetSecurity", "SchRpcGetSecurity", "SchRpcEnumFolders", "SchRpcEnumTasks",
    "SchRpcEnumInstances", "SchRpcGetInstanceInfo", "SchRpcStopInstance", "SchRpcStop", "SchRpcRun",
    "SchRpcDelete", "SchRpcRename", "SchRpcScheduledRuntimes", "SchRpcGetLastRunInfo",
    "SchRpcGetTaskInfo", "SchRpcGetNumberOfMissedRuns", "SchRpcEnableTask"};

/* [MS-DRSR] 4.1 */
static const char *const ops_drsuapi[] = {
    "DRSBind", "DRSUnbind", "DRSReplicaSync", "DRSGetNCChanges", "DRSUpdateRefs", "DRSReplicaAdd",
    "DRSReplicaDel", "DRSReplicaModify", "DRSVerifyNames", "DRSGetMemberships",
    "DRSInterDomainMove", "DRSGetNT4ChangeLog", "DRSCrackNames", "DRSWriteSPN", "DRSRemoveDsServer",
    "DRSRemoveDsDomain", "DRSDomainControllerInfo", "DRSAddEntry", "DRSExecuteKCC",
    "DRSGetReplInfo", "DRSAddSidHistory", "DRSGetMemberships2", "DRSReplicaVerifyObjects",
    "DRSGetObjectExistence", "DRSQuerySitesByCost", "DRSInitDemotion", "DRSReplicaDemotion",
    "DRSFinishDemotion", "DRSAddCloneDC", "DRSWriteNgcKey", "DRSReadNgcKey"};

/* [MS-SAMR] 3.1.5 */
static const char *const ops_samr[] = {
    "SamrConnect", "SamrCloseHandle", "SamrSetSecurityObject", "SamrQuerySecurityObject", NULL,
    "SamrLookupDomainInSamServer", "SamrEnumerateDomainsInSamServer", "SamrOpenDomain",
    "SamrQueryInformationDomain", "SamrSetInformationDomain", "SamrCreateGroupInDomain",
    "SamrEnumerateGroupsInDomain", "SamrCreateUserInDomain", "SamrEnumerateUsersInDomain",
    "SamrCreateAliasInDomain", "SamrEnumerateAliasesInDomain", "SamrGetAliasMembership",
    "SamrLookupNamesInDomain", "SamrLookupIdsInDomain", "SamrOpenGroup",
    "SamrQueryInformationGroup", "SamrSetInformationGroup", "SamrAddMemberToGroup",
    "SamrDeleteGroup", "SamrRemoveMemberFromGroup", "SamrGetMembersInGroup",
    "SamrSetMemberAttributesOfGroup", "SamrOpenAlias", "SamrQueryInformationAlias",
    "SamrSetInformationAlias", "SamrDeleteAlias", "SamrAddMemberToAlias",
    "SamrRemoveMemberFromAlias", "SamrGetMembersInAlias", "SamrOpenUser", "SamrDeleteUser",
    "SamrQueryInformationUser", "SamrSetInformationUser", "SamrChangePasswordUser",
    "SamrGetGroupsForUser", "SamrQueryDisplayInformation", "SamrGetDisplayEnumerationIndex", NULL,
    NULL, "SamrGetUserDomainPasswordInformation", "SamrRemoveMemberFromForeignDomain",
    "SamrQueryInformationDomain2", "SamrQueryInformationUser2", "SamrQueryDisplayInformation2",
    "SamrGetDisplayEnumerationIndex2", "SamrCreateUser2InDomain", "SamrQueryDisplayInformation3",
    "SamrAddMultipleMembersToAlias", "SamrRemoveMultipleMembersFromAlias",
    "SamrOemChangePasswordUser2", "SamrUnicodeChangePasswordUser2",
    "SamrGetDomainPasswordInformation", "SamrConnect2", "SamrSetInformationUser2", NULL, NULL, NULL,
    "SamrConnect4", NULL, "SamrConnect5", "SamrRidToSid", "SamrSetDSRMPassword",
    "SamrValidatePassword"};

/* [MS-LSAD] 3.1.4, [MS-LSAT] 3.1.4 */
static const char *const ops_lsarpc[] = {
    "LsarClose", NULL, "LsarEnumeratePrivileges", "LsarQuerySecurityObject",
    "LsarSetSecurityObject", NULL, "LsarOpenPolicy", "LsarQueryInformationPolicy",
    "LsarSetInformationPolicy", NULL, "LsarCreateAccount", "LsarEnumerateAccounts",
    "LsarCreateTrustedDomain", "LsarEnumerateTrustedDomains", "LsarLookupNames", "LsarLookupSids",
    "LsarCreateSecret", "LsarOpenAccount", "LsarEnumeratePrivilegesAccount",
    "LsarAddPrivilegesToAccount", "LsarRemovePrivilegesFromAccount", NULL, NULL,
    "LsarGetSystemAccessAccount", "LsarSetSystemAccessAccount", "LsarOpenTrustedDomain",
    "LsarQueryInfoTrustedDomain", "LsarSetInformationTrustedDomain", "LsarOpenSecret",
    "LsarSetSecret", "LsarQuerySecret", "LsarLookupPrivilegeValue", "LsarLookupPrivilegeName",
    "LsarLookupPrivilegeDisplayName", "LsarDeleteObject", "LsarEnumerateAccountsWithUserRight",
    "LsarEnumerateAccountRights", "LsarAddAccountRights", "LsarRemoveAccountRights",
    "LsarQueryTrustedDomainInfo", "LsarSetTrustedDomainInfo", "LsarDeleteTrustedDomain",
    "LsarStorePrivateData", "LsarRetrievePrivateData", "LsarOpenPolicy2", "LsarGetUserName",
    "LsarQueryInformationPolicy2", "LsarSetInformationPolicy2", "LsarQueryTrustedDomainInfoByName",
    "LsarSetTrustedDomainInfoByName", "LsarEnumerateTrustedDomainsEx", "LsarCreateTrustedDomainEx",
    NULL, "LsarQueryDomainInformationPolicy", "LsarSetDomainInformationPolicy",
    "LsarOpenTrustedDomainByName", NULL, "LsarLookupSids2", "LsarLookupNames2",
    "LsarCreateTrustedDomainEx2", NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
    "LsarLookupNames3", NULL, NULL, NULL, NULL, "LsarQueryForestTrustInformation",
    "LsarSetForestTrustInformation", NULL, "LsarLookupSids3", "LsarLookupNames4"};

/* [MS-NRPC] 3.5.4 */
static const char *const ops_netlogon[] = {
    "NetrLogonUasLogon", "NetrLogonUasLogoff", "NetrLogonSamLogon", "NetrLogonSamLogoff",
    "NetrServerReqChallenge", "NetrServerAuthenticate", "NetrServerPasswordSet",
    "NetrDatabaseDeltas", "NetrDatabaseSync", "NetrAccountDeltas", "NetrAccountSync",
    "NetrGetDCName", "NetrLogonControl", "NetrGetAnyDCName", "NetrLogonControl2",
    "NetrServerAuthenticate2", "NetrDatabaseSync2", "NetrDatabaseRedo", "NetrLogonControl2Ex",
    "NetrEnumerateTrustedDomains", "DsrGetDcName", "NetrLogonGetCapabilities",
    "NetrLogonSetServiceBits", "NetrLogonGetTrustRid", "NetrLogonComputeServerDigest",
    "NetrLogonComputeClientDigest", "NetrServerAuthenticate3", "DsrGetDcNameEx", "DsrGetSiteName",
    "NetrLogonGetDomainInfo", "NetrServerPasswordSet2", "NetrServerPasswordGet",
    "NetrLogonSendToSam", "DsrAddressToSiteNamesW", "DsrGetDcNameEx2",
    "NetrLogonGetTimeServiceParentDomain", "NetrEnumerateTrustedDomainsEx",
    "DsrAddressToSiteNamesExW", "DsrGetDcSiteCoverageW", "NetrLogonSamLogonEx",
    "DsrEnumerateDomainTrusts", "DsrDeregisterDnsHostRecords", "NetrServerTrustPasswordsGet",
    "DsrGetForestTrustInformation", "NetrGetForestTrustInformation", "NetrLogonSamLogonWithFlags",
    "NetrServerGetTrustInfo"};

/* [MS-RRP] 3.1.5 */
static const char *const ops_winreg[] = {
    "OpenClassesRoot", "OpenCurrentUser", "OpenLocalMachine", "OpenPerformanceData", "OpenUsers",
    "BaseRegCloseKey", "BaseRegCreateKey", "BaseRegDeleteKey", "BaseRegDeleteValue",
    "BaseRegEnumKey", "BaseRegEnumValue", "BaseRegFlushKey", "BaseRegGetKeySecurity",
    "BaseRegLoadKey", NULL, "BaseRegOpenKey", "BaseRegQueryInfoKey", "BaseRegQueryValue",
    "BaseRegReplaceKey", "BaseRegRestoreKey", "BaseRegSaveKey", "BaseRegSetKeySecurity",
    "BaseRegSetValue", "BaseRegUnLoadKey", "BaseInitiateSystemShutdown", "BaseAbortSystemShutdown",
    "BaseRegGetVersion", "OpenCurrentConfig", NULL, "BaseRegQueryMultipleValues",
    "BaseInitiateSystemShutdownEx", "BaseRegSaveKeyEx", "OpenPerformanceText",
    "OpenPerformanceNlsText", "BaseRegQueryMultipleValues2", "BaseRegDeleteKeyEx"};

/* [MS-SRVS] 3.1.4 */
static const char *const ops_srvsvc[] = {
    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "NetrConnectionEnum", "NetrFileEnum",
    "NetrFileGetInfo", "NetrFileClose", "NetrSessionEnum", "NetrSessionDel", "NetrShareAdd",
    "NetrShareEnum", "NetrShareGetInfo", "NetrShareSetInfo", "NetrShareDel", "NetrShareDelSticky",
    "NetrShareCheck", "NetrServerGetInfo", "NetrServerSetInfo", "NetrServerDiskEnum",
    "NetrServerStatisticsGet", "NetrServerTransportAdd", "NetrServerTransportEnum",
    "NetrServerTransportDel", "NetrRemoteTOD", NULL, "NetprPathType", "NetprPathCanonicalize",
    "NetprPathCompare", "NetprNameValidate", "NetprNameCanonicalize", "NetprNameCompare",
    "NetrShareEnumSticky", "NetrShareDelStart", "NetrShareDelCommit", "NetrpGetFileSecurity",
    "NetrpSetFileSecurity", "NetrServerTransportAddEx", NULL, "NetrDfsGetVersion",
    "NetrDfsCreateLocalPartition", "NetrDfsDeleteLocalPartition", "NetrDfsSetLocalVolumeState",
    NULL, "NetrDfsCreateExitPoint", "NetrDfsDeleteExitPoint", "NetrDfsModifyPrefix",
    "NetrDfsFixLocalVolume", "NetrDfsManagerReportSiteInfo", "NetrServerTransportDelEx",
    "NetrServerAliasAdd", "NetrServerAliasEnum", "NetrServerAliasDel", "NetrShareDelEx"};

/* [MS-WKST] 3.2.4 */
static const char *const ops_wkssvc[] = {
    "NetrWkstaGetInfo", "NetrWkstaSetInfo", "NetrWkstaUserEnum", NULL, NULL,
    "NetrWkstaTransportEnum", "NetrWkstaTransportAdd", "NetrWkstaTransportDel", "NetrUseAdd",
    "NetrUseGetInfo", "NetrUseDel", "NetrUseEnum", NULL, "NetrWorkstationStatisticsGet", NULL, NULL,
    NULL, NULL, NULL, NULL, "NetrGetJoinInformation", NULL, "NetrJoinDomain2", "NetrUnjoinDomain2",
    "NetrRenameMachineInDomain2", "NetrValidateName2", "NetrGetJoinableOUs2",
    "NetrAddAlternateComputerName", "NetrRemoveAlternateComputerName", "NetrSetPrimaryComputerName",
    "NetrEnumerateComputerNames"};

static const char *const ops_epm[] =
    {/* [C706] appendix O, [MS-RPCE] 3.1.1.5 */
     "ept_insert",     "ept_delete",     "ept_lookup", "ept_map", "ept_lookup_handle_free",
     "ept_inq_object", "ept_mgmt_delete"};

/* [MS-EVEN] 3.1.4 */
static const char *const ops_eventlog[] = {
    "ElfrClearELFW", "ElfrBackupELFW", "ElfrCloseEL", "ElfrDeregisterEventSource",
    "ElfrNumberOfRecords", "ElfrOldestRecord", "ElfrChangeNotify", "ElfrOpenELW",
    "ElfrRegisterEventSourceW", "ElfrOpenBELW", "ElfrReadELW", "ElfrReportEventW", "ElfrClearELFA",
    "ElfrBackupELFA", "ElfrOpenELA", "ElfrRegisterEventSourceA", "ElfrOpenBELA", "ElfrReadELA",
    "ElfrReportEventA"};

/* [MS-DSSP] 3.2.5 */
static const char *const ops_dssetup[] = {
    "DsRolerGetPrimaryDomainInformation"};

/* DCOM interfaces: opnums 0-2 are IUnknown's, not sent on the wire ([MS-DCOM] 3.1.1.5.8). */
static const char *const ops_wbem_login[] =
    {/* [MS-WMI] 3.1.4.1 */
     NULL, NULL, NULL, "EstablishPosition", "RequestChallenge", "WBEMLogin", "NTLMLogin"};

/* [MS-WMI] 3.1.4.3 */
static const char *const ops_wbem_services[] = {
    NULL, NULL, NULL, "OpenNamespace", "CancelAsyncCall", "QueryObjectSink", "GetObject",
    "GetObjectAsync", "PutClass", "PutClassAsync", "DeleteClass", "DeleteClassAsync",
    "CreateClassEnum", "CreateClassEnumAsync", "PutInstance", "PutInstanceAsync", "DeleteInstance",
    "DeleteInstanceAsync", "CreateInstanceEnum", "CreateInstanceEnumAsync", "ExecQuery",
    "ExecQueryAsync", "ExecNotificationQuery", "ExecNotificationQueryAsync", "ExecMethod",
    "ExecMethodAsync"};

/* [MS-DCOM] 3.1.2.5.2.2 */
static const char *const ops_activator[] = {
    NULL, NULL, NULL, "RemoteGetClassObject", "RemoteCreateInstance"};

/* [MS-DCOM] 3.1.2.5.1 IObjectExporter */
static const char *const ops_oxid[] = {
    "ResolveOxid", "SimplePing", "ComplexPing", "ServerAlive", "ResolveOxid2", "ServerAlive2"};

/* [MS-OAUT] 3.1.4 */
static const char *const ops_idispatch[] = {
    NULL, NULL, NULL, "GetTypeInfoCount", "GetTypeInfo", "GetIDsOfNames", "Invoke"};

/* [MS-EFSR] 3.1.4 */
static const char *const ops_efsrpc[] = {
    "EfsRpcOpenFileRaw", "EfsRpcReadFileRaw", "EfsRpcWriteFileRaw", "EfsRpcCloseRaw",
    "EfsRpcEncryptFileSrv", "EfsRpcDecryptFileSrv", "EfsRpcQueryUsersOnFile",
    "EfsRpcQueryRecoveryAgents", "EfsRpcRemoveUsersFromFile", "EfsRpcAddUsersToFile", NULL,
    "EfsRpcNotSupported", "EfsRpcFileKeyInfo", "EfsRpcDuplicateEncryptionInfoFile", NULL,
    "EfsRpcAddUsersToFileEx", "EfsRpcFileKeyInfoEx", NULL, "EfsRpcGetEncryptedFileMetadata",
    "EfsRpcSetEncryptedFileMetadata", "EfsRpcFlushEfsCache", "EfsRpcEncryptFileExSrv",
    "EfsRpcQueryProtectors"};

// clang-format on

enum {
    IF_SVCCTL,
    IF_ATSVC,
    IF_TSCH,
    IF_DRSUAPI,
    IF_SAMR,
    IF_LSARPC,
    IF_NETLOGON,
    IF_WINREG,
    IF_SRVSVC,
    IF_WKSSVC,
    IF_EPM,
    IF_EVENTLOG,
    IF_DSSETUP,
    IF_WBEM_LOGIN,
    IF_WBEM_SERVICES,
    IF_ACTIVATOR,
    IF_OXID,
    IF_IDISPATCH,
    IF_EFSRPC_LSA,
    IF_EFSRPC,
    IF__COUNT
};

struct iface {
    const char *uuid; /* lowercase, as formatted by uuid_fmt */
    const char *name;
    const char *const *ops;
    uint16_t nops;
};

#define OPS(a) a, (uint16_t)(sizeof(a) / sizeof((a)[0]))

/* UUIDs from each spec's section 1.9 (Standards Assignments) or 2.1 (Transport). */
static const struct iface ifaces[IF__COUNT] = {
    [IF_SVCCTL] = {"367abb81-9844-35f1-ad32-98f038001003", "svcctl", OPS(ops_svcctl)},
    [IF_ATSVC] = {"1ff70682-0a51-30e8-076d-740be8cee98b", "atsvc", OPS(ops_atsvc)},
    [IF_TSCH] = {"86d35949-83c9-4044-b424-db363231fd0c", "ITaskSchedulerService", OPS(ops_tsch)},
    [IF_DRSUAPI] = {"e3514235-4b06-11d1-ab04-00c04fc2dcd2", "drsuapi", OPS(ops_drsuapi)},
    [IF_SAMR] = {"12345778-1234-abcd-ef00-0123456789ac", "samr", OPS(ops_samr)},
    [IF_LSARPC] = {"12345778-1234-abcd-ef00-0123456789ab", "lsarpc", OPS(ops_lsarpc)},
    [IF_NETLOGON] = {"12345678-1234-abcd-ef00-01234567cffb", "netlogon", OPS(ops_netlogon)},
    [IF_WINREG] = {"338cd001-2244-31f1-aaaa-900038001003", "winreg", OPS(ops_winreg)},
    [IF_SRVSVC] = {"4b324fc8-1670-01d3-1278-5a47bf6ee188", "srvsvc", OPS(ops_srvsvc)},
    [IF_WKSSVC] = {"6bffd098-a112-3610-9833-46c3f87e345a", "wkssvc", OPS(ops_wkssvc)},
    [IF_EPM] = {"e1af8308-5d1f-11c9-91a4-08002b14a0fa", "epmapper", OPS(ops_epm)},
    [IF_EVENTLOG] = {"82273fdc-e32a-18c3-3f78-827929dc23ea", "eventlog", OPS(ops_eventlog)},
    [IF_DSSETUP] = {"3919286a-b10c-11d0-9ba8-00c04fd92ef5", "dssetup", OPS(ops_dssetup)},
    [IF_WBEM_LOGIN] = {"f309ad18-d86a-11d0-a075-00c04fb68820", "IWbemLevel1Login",
                       OPS(ops_wbem_login)},
    [IF_WBEM_SERVICES] = {"9556dc99-828c-11cf-a37e-00aa003240c7", "IWbemServices",
                          OPS(ops_wbem_services)},
    [IF_ACTIVATOR] = {"000001a0-0000-0000-c000-000000000046", "ISystemActivator",
                      OPS(ops_activator)},
    [IF_OXID] = {"99fcfec4-5260-101b-bbcb-00aa0021347a", "IObjectExporter", OPS(ops_oxid)},
    [IF_IDISPATCH] = {"00020400-0000-0000-c000-000000000046", "IDispatch", OPS(ops_idispatch)},
    [IF_EFSRPC_LSA] = {"c681d488-d850-11d0-8c52-00c04fd90f7e", "efsrpc", OPS(ops_efsrpc)},
    [IF_EFSRPC] = {"df1941c5-fe89-4e79-bf10-463657acf44d", "efsrpc", OPS(ops_efsrpc)},
};

static int iface_find(const char *uuid)
{
    for (int i = 0; i < IF__COUNT; i++)
        if (strcmp(ifaces[i].uuid, uuid) == 0)
            return i;
    return -1;
}

/* ---------------------------------------------------------------- names of numbers */

static const char *auth_type_name(uint8_t t)
{
    switch (t) { /* [MS-RPCE] 2.2.1.1.7 */
    case 0:
        return "none";
    case 9:
        return "spnego";
    case 10:
        return "ntlmssp";
    case 14:
        return "schannel";
    case 16:
        return "kerberos";
    case 68:
        return "netlogon";
    case 255:
        return "default";
    default:
        return NULL;
    }
}

static const char *auth_level_name(uint8_t l)
{
    /* [MS-RPCE] 2.2.1.1.8 */
    static const char *const n[] = {NULL, "none", "connect", "call", "pkt", "integrity", "privacy"};
    return l < sizeof n / sizeof n[0] ? n[l] : NULL;
}

/* Fault status ([C706] appendix E, [MS-RPCE] 2.2.2.11). */
static const struct {
    uint32_t code;
    const char *name;
} faults[] = {
    {0x00000005, "access_denied"},
    {0x000006d1, "rpc_s_procnum_out_of_range"},
    {0x000006f7, "rpc_x_bad_stub_data"},
    {0x00000721, "rpc_s_sec_pkg_error"},
    {0x1c000001, "nca_s_fault_int_div_by_zero"},
    {0x1c000002, "nca_s_fault_addr_error"},
    {0x1c000006, "nca_s_fault_invalid_tag"},
    {0x1c000007, "nca_s_fault_invalid_bound"},
    {0x1c000008, "nca_s_rpc_version_mismatch"},
    {0x1c000009, "nca_s_unspec_reject"},
    {0x1c00000a, "nca_s_bad_actid"},
    {0x1c00000b, "nca_s_who_are_you_failed"},
    {0x1c00000c, "nca_s_manager_not_entered"},
    {0x1c00000d, "nca_s_fault_cancel"},
    {0x1c00000e, "nca_s_fault_ill_inst"},
    {0x1c00000f, "nca_s_fault_fp_error"},
    {0x1c000010, "nca_s_fault_int_overflow"},
    {0x1c000012, "nca_s_fault_unspec"},
    {0x1c000013, "nca_s_fault_remote_comm_failure"},
    {0x1c00001a, "nca_s_fault_context_mismatch"},
    {0x1c00001b, "nca_s_fault_remote_no_memory"},
    {0x1c00001c, "nca_s_invalid_pres_context_id"},
    {0x1c00001d, "nca_s_unsupported_authn_level"},
    {0x1c00001f, "nca_s_invalid_checksum"},
    {0x1c000020, "nca_s_invalid_crc"},
    {0x1c000021, "nca_s_fault_user_defined"},
    {0x1c010001, "nca_s_comm_failure"},
    {0x1c010002, "nca_s_op_rng_error"},
    {0x1c010003, "nca_s_unk_if"},
    {0x1c010006, "nca_s_wrong_boot_time"},
    {0x1c010009, "nca_s_you_crashed"},
    {0x1c01000b, "nca_s_proto_error"},
    {0x1c010013, "nca_s_out_args_too_big"},
    {0x1c010014, "nca_s_server_too_busy"},
    {0x1c010017, "nca_s_unsupported_type"},
};

static const char *fault_name(uint32_t s)
{
    for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++)
        if (faults[i].code == s)
            return faults[i].name;
    return NULL;
}

static const char *result_name(uint8_t r)
{
    static const char *const n[] = {"accepted", "user_rejection", "provider_rejection",
                                    "negotiate_ack"};
    return r < 4 ? n[r] : "no_result";
}

static const char *start_type_name(uint32_t t)
{
    /* [MS-SCMR] 3.1.4.12 dwStartType */
    static const char *const n[] = {"boot_start", "system_start", "auto_start", "demand_start",
                                    "disabled"};
    return t < 5 ? n[t] : NULL;
}

/* ---------------------------------------------------------------- state */

enum { XFER_NONE, XFER_NDR, XFER_NDR64, XFER_BTFN, XFER_OTHER };

struct ctx {
    uint16_t id;
    uint8_t result; /* 0..3 as on the wire, RES_NONE until answered */
    uint8_t xfer;   /* first transfer syntax offered */
    uint16_t vmaj, vmin;
    int iface;
    char uuid[37];
};
#define RES_NONE 0xff

/* Decoded stub fields kept with a call until its record is written. */
enum {
    EX_SVC_NAME,
    EX_SVC_DISPLAY,
    EX_SVC_BINARY,
    EX_SVC_START,
    EX_AT_CMD,
    EX_TASK_PATH,
    EX_TASK_XML,
    EX__COUNT
};
static const char *const ex_path[EX__COUNT] = {"dcerpc.svcctl.service_name",
                                               "dcerpc.svcctl.display_name",
                                               "dcerpc.svcctl.binary_path",
                                               "dcerpc.svcctl.start_type",
                                               "dcerpc.atsvc.command",
                                               "dcerpc.task.path",
                                               "dcerpc.task.xml"};

enum { CALL_REQ = 1, CALL_REQ_DONE = 2, CALL_RESP = 4 };

struct call {
    uint32_t call_id;
    uint16_t ctx_id, opnum;
    uint8_t state;
    uint8_t auth_type, auth_level, has_auth, has_object, fault, has_ctx, want_stub;
    uint8_t object[16];
    uint16_t vmaj, vmin;
    int iface;
    char uuid[37];
    uint32_t status;
    uint64_t req_bytes, resp_bytes;
    struct buf stub; /* request stub while its fragments arrive (only when decoded) */
    struct buf ex;   /* kind u8 | len u16le | UTF-8 bytes, … */
};

struct bind_pending {
    uint8_t active, alter, nslots, has_auth, auth_type, auth_level;
    uint32_t call_id;
    uint8_t slot[DCERPC_MAX_CTX]; /* indexes into ctx[] in offer order */
};

struct dir_state {
    struct buf acc; /* one PDU being gathered */
    uint8_t resync; /* looking for the next header after garbage or a gap */
};

struct dcerpc_conn {
    int ready;
    int has_pipe;
    char pipe[DCERPC_PIPE_CAP];
    struct dir_state dir[2];
    struct ctx ctx[DCERPC_MAX_CTX];
    size_t nctx;
    struct bind_pending bind;
    char sec_addr[DCERPC_PIPE_CAP]; /* from the last bind_ack */
    struct call *calls;
    size_t ncalls, calls_alloc;
    size_t stub_total; /* bytes held in calls[].stub */
};

static void conn_init(struct dcerpc_conn *c, const char *pipe)
{
    memset(c, 0, sizeof *c);
    c->ready = 1;
    if (pipe) {
        c->has_pipe = 1;
        snprintf(c->pipe, sizeof c->pipe, "%s", pipe);
    }
    for (int i = 0; i < 2; i++)
        buf_init(&c->dir[i].acc, DCERPC_PDU_CAP);
}

static void call_release(struct call *k)
{
    buf_release(&k->stub);
    buf_release(&k->ex);
}

static void conn_release(struct dcerpc_conn *c)
{
    if (!c->ready)
        return;
    for (int i = 0; i < 2; i++)
        buf_release(&c->dir[i].acc);
    for (size_t i = 0; i < c->ncalls; i++)
        call_release(&c->calls[i]);
    free(c->calls);
    c->calls = NULL;
    c->ncalls = c->calls_alloc = 0;
    c->ready = 0;
}

/* ---------------------------------------------------------------- wire helpers */

static uint16_t rd16(struct rdr *r, int le)
{
    return le ? rdr_u16le(r) : rdr_u16be(r);
}

static uint32_t rd32(struct rdr *r, int le)
{
    return le ? rdr_u32le(r) : rdr_u32be(r);
}

static void rd_align(struct rdr *r, size_t n)
{
    size_t pad = (n - r->off % n) % n;
    rdr_skip(r, pad);
}

/* UUID as on the wire ([C706] appendix A: time_low u32, time_mid u16, time_hi u16 in drep order).
 */
static void uuid_fmt(struct rdr *r, int le, char out[37])
{
    uint32_t a = rd32(r, le);
    uint16_t b = rd16(r, le), c = rd16(r, le);
    uint8_t d[8];
    rdr_copy(r, d, 8);
    snprintf(out, 37, "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x", a, b, c, d[0], d[1], d[2],
             d[3], d[4], d[5], d[6], d[7]);
}

static int ptype_known(uint8_t t)
{
    return t == PT_REQUEST || t == PT_RESPONSE || t == PT_FAULT || (t >= PT_BIND && t <= PT_RTS);
}

/* Does p (at least 16 bytes) look like a connection-oriented header? */
static int hdr_plausible(const uint8_t *p)
{
    if (p[0] != 5 || p[1] > 1 || !ptype_known(p[2]) || (p[4] >> 4) > 1)
        return 0;
    int le = (p[4] >> 4) == 1;
    uint16_t fl = le ? (uint16_t)(p[8] | p[9] << 8) : ld_u16be(p + 8);
    uint16_t al = le ? (uint16_t)(p[10] | p[11] << 8) : ld_u16be(p + 10);
    return fl >= DCERPC_HDR && (size_t)al + DCERPC_HDR <= fl;
}

static size_t hdr_frag_len(const uint8_t *p)
{
    return (p[4] >> 4) == 1 ? (size_t)(p[8] | p[9] << 8) : ld_u16be(p + 8);
}

/* ---------------------------------------------------------------- NDR stub decoding */

/* UTF-16 code units (in drep byte order) to UTF-8, bounded by cap; returns bytes written. */
static size_t utf16_to_utf8(const uint8_t *p, size_t units, int le, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < units; i++) {
        uint32_t u = le ? (uint32_t)(p[2 * i] | p[2 * i + 1] << 8) : ld_u16be(p + 2 * i);
        if (u >= 0xd800 && u <= 0xdbff && i + 1 < units) {
            uint32_t v =
                le ? (uint32_t)(p[2 * i + 2] | p[2 * i + 3] << 8) : ld_u16be(p + 2 * i + 2);
            if (v >= 0xdc00 && v <= 0xdfff) {
                u = 0x10000 + ((u - 0xd800) << 10) + (v - 0xdc00);
                i++;
            } else {
                u = 0xfffd;
            }
        } else if (u >= 0xd800 && u <= 0xdfff) {
            u = 0xfffd;
        }
        char t[4];
        size_t k;
        if (u < 0x80) {
            t[0] = (char)u;
            k = 1;
        } else if (u < 0x800) {
            t[0] = (char)(0xc0 | u >> 6);
            t[1] = (char)(0x80 | (u & 0x3f));
            k = 2;
        } else if (u < 0x10000) {
            t[0] = (char)(0xe0 | u >> 12);
            t[1] = (char)(0x80 | ((u >> 6) & 0x3f));
            t[2] = (char)(0x80 | (u & 0x3f));
            k = 3;
        } else {
            t[0] = (char)(0xf0 | u >> 18);
            t[1] = (char)(0x80 | ((u >> 12) & 0x3f));
            t[2] = (char)(0x80 | ((u >> 6) & 0x3f));
            t[3] = (char)(0x80 | (u & 0x3f));
            k = 4;
        }
        if (o + k > cap)
            break;
        memcpy(out + o, t, k);
        o += k;
    }
    return o;
}

struct ndr {
    struct rdr r;
    int le;
    struct proto_out *o;
};

/*
 * A conformant varying string ([C706] 14.3.4.2): max_count, offset, actual_count, then
 * actual_count elements of elsize bytes (2 = wchar_t in drep order, 1 = char).  Writes at
 * most cap bytes of UTF-8 (trailing NUL dropped) to out; returns the length or -1.
 */
static long ndr_string(struct ndr *n, size_t elsize, char *out, size_t cap)
{
    rd_align(&n->r, 4);
    uint32_t max = rd32(&n->r, n->le), off = rd32(&n->r, n->le), cnt = rd32(&n->r, n->le);
    if (!rdr_ok(&n->r))
        return -1;
    if (off != 0 || cnt > max) {
        proto_anomaly(n->o, "dcerpc.ndr_bad_string");
        return -1;
    }
    if (cnt > rdr_left(&n->r) / elsize) {
        n->r.err = 1;
        return -1;
    }
    const uint8_t *p = rdr_bytes(&n->r, (size_t)cnt * elsize);
    if (cnt && elsize == 2 && p[2 * cnt - 2] == 0 && p[2 * cnt - 1] == 0)
        cnt--;
    else if (cnt && elsize == 1 && p[cnt - 1] == 0)
        cnt--;
    if (elsize == 2)
        return (long)utf16_to_utf8(p, cnt, n->le, out, cap);
    size_t k = cnt < cap ? cnt : cap;
    memcpy(out, p, k);
    return (long)k;
}

/* A [unique] pointer's referent id: 1 when non-NULL, 0 when NULL, -1 when truncated. */
static int ndr_unique(struct ndr *n)
{
    rd_align(&n->r, 4);
    uint32_t ref = rd32(&n->r, n->le);
    if (!rdr_ok(&n->r))
        return -1;
    return ref != 0;
}

static void ex_put(struct call *k, int kind, const char *s, size_t len)
{
    if (len > 0xffff)
        len = 0xffff;
    if (!k->ex.cap)
        buf_init(&k->ex, DCERPC_EX_CAP);
    uint8_t h[3] = {(uint8_t)kind, 0, 0};
    st_u16le(h + 1, (uint16_t)len);
    if (buf_reserve(&k->ex, sizeof h + len) == 0) {
        buf_append(&k->ex, h, sizeof h);
        buf_append(&k->ex, s, len);
    }
}

/* Read one string field into the call's decoded fields; 0 or -1 when the stub ends early. */
static int ex_string(struct ndr *n, struct call *k, int kind, size_t elsize, size_t cap)
{
    char s[DCERPC_STR_CAP];
    long len = ndr_string(n, elsize, s, cap < sizeof s ? cap : sizeof s);
    if (len < 0)
        return -1;
    ex_put(k, kind, s, (size_t)len);
    return 0;
}

/*
 * RCreateServiceW / A / WOW64W / WOW64A ([MS-SCMR] 3.1.4.12, .32, .40, .41):
 *   SC_RPC_HANDLE hSCManager (20 bytes), [string] lpServiceName, [string, unique]
 *   lpDisplayName, DWORD dwDesiredAccess, dwServiceType, dwStartType, dwErrorControl,
 *   [string] lpBinaryPathName, …
 */
static void dec_create_service(struct ndr *n, struct call *k, size_t elsize)
{
    rdr_skip(&n->r, 20);
    if (ex_string(n, k, EX_SVC_NAME, elsize, DCERPC_STR_CAP) < 0)
        goto trunc;
    int u = ndr_unique(n);
    if (u < 0 || (u == 1 && ex_string(n, k, EX_SVC_DISPLAY, elsize, DCERPC_STR_CAP) < 0))
        goto trunc;
    rd_align(&n->r, 4);
    (void)rd32(&n->r, n->le); /* dwDesiredAccess */
    (void)rd32(&n->r, n->le); /* dwServiceType */
    uint32_t start = rd32(&n->r, n->le);
    (void)rd32(&n->r, n->le); /* dwErrorControl */
    if (!rdr_ok(&n->r))
        goto trunc;
    const char *sn = start_type_name(start);
    char num[16];
    if (!sn) {
        snprintf(num, sizeof num, "%u", start);
        sn = num;
    }
    ex_put(k, EX_SVC_START, sn, strlen(sn));
    if (ex_string(n, k, EX_SVC_BINARY, elsize, DCERPC_STR_CAP) < 0)
        goto trunc;
    return;
trunc:
    proto_anomaly(n->o, "dcerpc.stub_truncated");
}

/*
 * RChangeServiceConfigW / A ([MS-SCMR] 3.1.4.11, .22): SC_RPC_HANDLE hService,
 * DWORD dwServiceType, dwStartType, dwErrorControl, [string, unique] lpBinaryPathName, …
 * (0xffffffff = SERVICE_NO_CHANGE).
 */
static void dec_change_config(struct ndr *n, struct call *k, size_t elsize)
{
    rdr_skip(&n->r, 20);
    (void)rd32(&n->r, n->le);
    uint32_t start = rd32(&n->r, n->le);
    (void)rd32(&n->r, n->le);
    if (!rdr_ok(&n->r))
        goto trunc;
    const char *sn = start_type_name(start);
    if (sn)
        ex_put(k, EX_SVC_START, sn, strlen(sn));
    int u = ndr_unique(n);
    if (u < 0 || (u == 1 && ex_string(n, k, EX_SVC_BINARY, elsize, DCERPC_STR_CAP) < 0))
        goto trunc;
    return;
trunc:
    proto_anomaly(n->o, "dcerpc.stub_truncated");
}

/*
 * NetrJobAdd ([MS-TSCH] 3.2.5.2.1): [string, unique] ServerName, [in] LPAT_INFO pAtInfo
 * where AT_INFO = { DWORD_PTR JobTime (4 bytes in NDR20), DWORD DaysOfMonth,
 * UCHAR DaysOfWeek, UCHAR Flags, [string] wchar_t *Command } (embedded pointer: a referent
 * id in the struct, the string after it).
 */
static void dec_job_add(struct ndr *n, struct call *k)
{
    char skip[8];
    int u = ndr_unique(n);
    if (u < 0 || (u == 1 && ndr_string(n, 2, skip, sizeof skip) < 0))
        goto trunc;
    rd_align(&n->r, 4);
    rdr_skip(&n->r, 4 + 4 + 1 + 1);
    u = ndr_unique(n);
    if (u < 0 || (u == 1 && ex_string(n, k, EX_AT_CMD, 2, DCERPC_STR_CAP) < 0))
        goto trunc;
    return;
trunc:
    proto_anomaly(n->o, "dcerpc.stub_truncated");
}

/* SchRpcRegisterTask ([MS-TSCH] 3.2.5.4.2): [string, unique] path, [string] xml, … */
static void dec_register_task(struct ndr *n, struct call *k)
{
    int u = ndr_unique(n);
    if (u < 0 || (u == 1 && ex_string(n, k, EX_TASK_PATH, 2, DCERPC_STR_CAP) < 0))
        goto trunc;
    if (ex_string(n, k, EX_TASK_XML, 2, DCERPC_XML_CAP) < 0)
        goto trunc;
    return;
trunc:
    proto_anomaly(n->o, "dcerpc.stub_truncated");
}

/* Which (interface, opnum) pairs have a stub decoder. */
static int stub_wanted(int iface, uint16_t op)
{
    switch (iface) {
    case IF_SVCCTL:
        return op == 11 || op == 12 || op == 23 || op == 24 || op == 44 || op == 45;
    case IF_ATSVC:
        return op == 0;
    case IF_TSCH:
        return op == 1;
    default:
        return 0;
    }
}

static void stub_decode(struct call *k, struct proto_out *o, int le)
{
    struct ndr n = {.le = le, .o = o};
    rdr_init(&n.r, k->stub.data, k->stub.len);
    switch (k->iface) {
    case IF_SVCCTL:
        if (k->opnum == 11 || k->opnum == 23)
            dec_change_config(&n, k, k->opnum == 11 ? 2 : 1);
        else
            dec_create_service(&n, k, (k->opnum == 12 || k->opnum == 45) ? 2 : 1);
        break;
    case IF_ATSVC:
        dec_job_add(&n, k);
        break;
    case IF_TSCH:
        dec_register_task(&n, k);
        break;
    default:
        break;
    }
}

/* ---------------------------------------------------------------- records */

static void put_uuid_iface(struct proto_out *o, const char *prefix_uuid, const char *prefix_name,
                           const char *prefix_ver, const char *uuid, int iface, uint16_t vmaj,
                           uint16_t vmin)
{
    char ver[16];
    proto_cstr(o, prefix_uuid, uuid);
    if (iface >= 0)
        proto_cstr(o, prefix_name, ifaces[iface].name);
    snprintf(ver, sizeof ver, "%u.%u", vmaj, vmin);
    proto_cstr(o, prefix_ver, ver);
}

static void put_auth(struct proto_out *o, uint8_t type, uint8_t level)
{
    const char *t = auth_type_name(type), *l = auth_level_name(level);
    if (t)
        proto_cstr(o, "dcerpc.auth.type", t);
    else
        proto_int(o, "dcerpc.auth.type", type);
    if (l)
        proto_cstr(o, "dcerpc.auth.level", l);
    else
        proto_int(o, "dcerpc.auth.level", level);
}

static void call_emit(struct dcerpc_conn *c, struct proto_out *o, struct call *k)
{
    proto_begin(o, "dcerpc");
    proto_int(o, "dcerpc.call_id", k->call_id);
    if (k->has_ctx)
        put_uuid_iface(o, "dcerpc.interface.uuid", "dcerpc.interface.name",
                       "dcerpc.interface.version", k->uuid, k->iface, k->vmaj, k->vmin);
    proto_int(o, "dcerpc.context_id", k->ctx_id);
    if (k->state & CALL_REQ) {
        const char *op = NULL;
        char num[24];
        if (k->iface >= 0 && k->opnum < ifaces[k->iface].nops)
            op = ifaces[k->iface].ops[k->opnum];
        if (!op) {
            snprintf(num, sizeof num, "opnum %u", k->opnum);
            op = num;
        }
        proto_int(o, "dcerpc.opnum", k->opnum);
        proto_cstr(o, "dcerpc.operation", op);
        proto_int(o, "dcerpc.request.stub_bytes", (int64_t)k->req_bytes);
    }
    if (k->has_object) {
        struct rdr r;
        char u[37];
        rdr_init(&r, k->object, sizeof k->object);
        uuid_fmt(&r, 1, u); /* stored little-endian, see pdu_request */
        proto_cstr(o, "dcerpc.object", u);
    }
    if (c->has_pipe)
        proto_cstr(o, "dcerpc.pipe", c->pipe);
    if (k->has_auth)
        put_auth(o, k->auth_type, k->auth_level);
    if (k->state & CALL_RESP)
        proto_int(o, "dcerpc.response.stub_bytes", (int64_t)k->resp_bytes);
    if (k->fault) {
        const char *fn = fault_name(k->status);
        char hex[16];
        snprintf(hex, sizeof hex, "0x%08x", k->status);
        proto_cstr(o, "dcerpc.status", fn ? fn : hex);
        proto_int(o, "dcerpc.status_code", k->status);
    }
    for (size_t i = 0; i + 3 <= k->ex.len;) {
        uint8_t kind = k->ex.data[i];
        size_t len = (size_t)(k->ex.data[i + 1] | k->ex.data[i + 2] << 8);
        if (kind < EX__COUNT && i + 3 + len <= k->ex.len)
            proto_str(o, ex_path[kind], (const char *)k->ex.data + i + 3, len);
        i += 3 + len;
    }
    proto_end(o);
}

static void call_drop(struct dcerpc_conn *c, size_t i)
{
    c->stub_total -= c->calls[i].stub.len;
    call_release(&c->calls[i]);
    memmove(&c->calls[i], &c->calls[i + 1], (c->ncalls - i - 1) * sizeof c->calls[0]);
    c->ncalls--;
}

static struct call *call_find(struct dcerpc_conn *c, uint32_t id, size_t *at)
{
    for (size_t i = c->ncalls; i-- > 0;)
        if (c->calls[i].call_id == id) {
            *at = i;
            return &c->calls[i];
        }
    return NULL;
}

static struct call *call_new(struct dcerpc_conn *c, struct proto_out *o, uint32_t id)
{
    if (c->ncalls == DCERPC_MAX_CALLS) {
        /* the oldest call has waited longest for an answer: write it as it is */
        proto_anomaly(o, "dcerpc.too_many_calls");
        call_emit(c, o, &c->calls[0]);
        call_drop(c, 0);
    }
    if (c->ncalls == c->calls_alloc) {
        size_t na = c->calls_alloc ? c->calls_alloc * 2 : 8;
        if (na > DCERPC_MAX_CALLS)
            na = DCERPC_MAX_CALLS;
        struct call *p = realloc(c->calls, na * sizeof *p);
        if (!p)
            return NULL;
        c->calls = p;
        c->calls_alloc = na;
    }
    struct call *k = &c->calls[c->ncalls++];
    memset(k, 0, sizeof *k);
    k->call_id = id;
    k->iface = -1;
    return k;
}

static struct ctx *ctx_find(struct dcerpc_conn *c, uint16_t id)
{
    for (size_t i = 0; i < c->nctx; i++)
        if (c->ctx[i].id == id)
            return &c->ctx[i];
    return NULL;
}

static void call_set_ctx(struct dcerpc_conn *c, struct call *k, uint16_t ctx_id)
{
    k->ctx_id = ctx_id;
    struct ctx *x = ctx_find(c, ctx_id);
    if (!x)
        return;
    k->has_ctx = 1;
    k->iface = x->iface;
    k->vmaj = x->vmaj;
    k->vmin = x->vmin;
    memcpy(k->uuid, x->uuid, sizeof k->uuid);
}

static void bind_emit(struct dcerpc_conn *c, struct proto_out *o)
{
    struct bind_pending *b = &c->bind;
    if (!b->active)
        return;
    proto_begin(o, "dcerpc.bind");
    proto_cstr(o, "dcerpc.bind.type", b->alter ? "alter_context" : "bind");
    proto_int(o, "dcerpc.bind.call_id", b->call_id);
    for (size_t i = 0; i < b->nslots; i++) {
        const struct ctx *x = &c->ctx[b->slot[i]];
        proto_item_begin(o, "dcerpc.bind.contexts");
        proto_int(o, "dcerpc.bind.contexts.id", x->id);
        put_uuid_iface(o, "dcerpc.bind.contexts.uuid", "dcerpc.bind.contexts.name",
                       "dcerpc.bind.contexts.version", x->uuid, x->iface, x->vmaj, x->vmin);
        static const char *const xn[] = {NULL, "ndr", "ndr64", "bind_time_feature_negotiation",
                                         "other"};
        if (x->xfer != XFER_NONE)
            proto_cstr(o, "dcerpc.bind.contexts.transfer_syntax", xn[x->xfer]);
        proto_cstr(o, "dcerpc.bind.contexts.result", result_name(x->result));
        proto_bool(o, "dcerpc.bind.contexts.accepted", x->result == 0);
        proto_item_end(o);
    }
    if (c->sec_addr[0])
        proto_cstr(o, "dcerpc.bind.secondary_address", c->sec_addr);
    if (c->has_pipe)
        proto_cstr(o, "dcerpc.pipe", c->pipe);
    if (b->has_auth)
        put_auth(o, b->auth_type, b->auth_level);
    proto_end(o);
    b->active = 0;
}

/* ---------------------------------------------------------------- PDUs */

struct pdu {
    const uint8_t *p;
    size_t stub_end; /* end of the body (auth verifier and its padding cut off) */
    int le;
    uint8_t ptype, flags, has_auth, auth_type, auth_level;
    uint32_t call_id;
};

static void pdu_bind(struct dcerpc_conn *c, struct proto_out *o, const struct pdu *u)
{
    struct rdr r;
    rdr_init(&r, u->p, u->stub_end);
    rdr_skip(&r, DCERPC_HDR + 8); /* max_xmit, max_recv, assoc_group */
    uint8_t n = rdr_u8(&r);
    rdr_skip(&r, 3);
    if (c->bind.active)
        bind_emit(c, o); /* the previous bind never got an answer */
    struct bind_pending *b = &c->bind;
    memset(b, 0, sizeof *b);
    b->active = 1;
    b->alter = u->ptype == PT_ALTER;
    b->call_id = u->call_id;
    b->has_auth = u->has_auth;
    b->auth_type = u->auth_type;
    b->auth_level = u->auth_level;
    for (unsigned i = 0; i < n && rdr_ok(&r); i++) {
        uint16_t id = rd16(&r, u->le);
        uint8_t nx = rdr_u8(&r);
        rdr_skip(&r, 1);
        char uuid[37], xu[37] = "";
        uuid_fmt(&r, u->le, uuid);
        uint32_t ver = rd32(&r, u->le);
        for (unsigned j = 0; j < nx && rdr_ok(&r); j++) {
            char t[37];
            uuid_fmt(&r, u->le, t);
            rdr_skip(&r, 4);
            if (j == 0)
                memcpy(xu, t, sizeof xu);
        }
        if (!rdr_ok(&r))
            break;
        struct ctx *x = ctx_find(c, id);
        if (!x) {
            if (c->nctx == DCERPC_MAX_CTX) {
                proto_anomaly(o, "dcerpc.too_many_contexts");
                continue;
            }
            x = &c->ctx[c->nctx++];
        }
        x->id = id;
        x->result = RES_NONE;
        x->vmaj = (uint16_t)(ver & 0xffff);
        x->vmin = (uint16_t)(ver >> 16);
        memcpy(x->uuid, uuid, sizeof x->uuid);
        x->iface = iface_find(uuid);
        if (!xu[0])
            x->xfer = XFER_NONE;
        else if (strcmp(xu, "8a885d04-1ceb-11c9-9fe8-08002b104860") == 0)
            x->xfer = XFER_NDR; /* [C706] appendix I */
        else if (strcmp(xu, "71710533-beba-4937-8319-b5dbef9ccc36") == 0)
            x->xfer = XFER_NDR64; /* [MS-RPCE] 2.2.5.1 */
        else if (strncmp(xu, "6cb71c2c-9812-4540-", 19) == 0)
            x->xfer = XFER_BTFN; /* [MS-RPCE] 3.3.1.5.3 */
        else
            x->xfer = XFER_OTHER;
        if (b->nslots < DCERPC_MAX_CTX)
            b->slot[b->nslots++] = (uint8_t)(x - c->ctx);
    }
    if (!rdr_ok(&r))
        proto_anomaly(o, "dcerpc.truncated_pdu");
}

static void pdu_bind_ack(struct dcerpc_conn *c, struct proto_out *o, const struct pdu *u)
{
    struct rdr r;
    rdr_init(&r, u->p, u->stub_end);
    rdr_skip(&r, DCERPC_HDR + 8);
    uint16_t alen = rd16(&r, u->le);
    const uint8_t *a = rdr_bytes(&r, alen);
    if (a && u->ptype == PT_BIND_ACK) {
        size_t k = alen;
        while (k && a[k - 1] == 0)
            k--;
        if (k >= sizeof c->sec_addr)
            k = sizeof c->sec_addr - 1;
        memcpy(c->sec_addr, a, k);
        c->sec_addr[k] = 0;
    }
    rd_align(&r, 4); /* [C706] 12.6.4.4: pad to a 4-byte boundary of the PDU */
    uint8_t n = rdr_u8(&r);
    rdr_skip(&r, 3);
    if (!c->bind.active) {
        proto_anomaly(o, "dcerpc.unmatched_bind_ack");
        return;
    }
    for (unsigned i = 0; i < n && rdr_ok(&r); i++) {
        uint16_t res = rd16(&r, u->le);
        rdr_skip(&r, 2 + 20);
        if (rdr_ok(&r) && i < c->bind.nslots)
            c->ctx[c->bind.slot[i]].result = res < 4 ? (uint8_t)res : 2;
    }
    if (!rdr_ok(&r))
        proto_anomaly(o, "dcerpc.truncated_pdu");
    bind_emit(c, o);
}

static void pdu_bind_nak(struct dcerpc_conn *c, struct proto_out *o)
{
    if (!c->bind.active) {
        proto_anomaly(o, "dcerpc.unmatched_bind_ack");
        return;
    }
    for (size_t i = 0; i < c->bind.nslots; i++)
        c->ctx[c->bind.slot[i]].result = 2; /* provider_rejection */
    bind_emit(c, o);
}

static void pdu_request(struct dcerpc_conn *c, struct proto_out *o, const struct pdu *u)
{
    struct rdr r;
    rdr_init(&r, u->p, u->stub_end);
    rdr_skip(&r, DCERPC_HDR + 4); /* alloc_hint */
    uint16_t ctx_id = rd16(&r, u->le), opnum = rd16(&r, u->le);
    uint8_t obj[16];
    if (u->flags & PFC_OBJECT) {
        /* keep it little-endian so call_emit formats it one way */
        struct rdr t = r;
        uint32_t a = rd32(&t, u->le);
        uint16_t b = rd16(&t, u->le), d = rd16(&t, u->le);
        st_u32le(obj, a);
        st_u16le(obj + 4, b);
        st_u16le(obj + 6, d);
        rdr_copy(&t, obj + 8, 8);
        rdr_skip(&r, 16);
    }
    if (!rdr_ok(&r)) {
        proto_anomaly(o, "dcerpc.truncated_pdu");
        return;
    }
    size_t at = 0, stub_len = rdr_left(&r);
    const uint8_t *stub = u->p + r.off;
    struct call *k = call_find(c, u->call_id, &at);
    if (k && (u->flags & PFC_FIRST)) {
        /* a new call with a call_id still in use: write the old one as it is */
        proto_anomaly(o, "dcerpc.call_id_reused");
        call_emit(c, o, k);
        call_drop(c, at);
        k = NULL;
    }
    if (!k) {
        if (!(u->flags & PFC_FIRST)) {
            proto_anomaly(o, "dcerpc.orphan_fragment");
            return;
        }
        k = call_new(c, o, u->call_id);
        if (!k)
            return;
        k->state = CALL_REQ;
        k->opnum = opnum;
        call_set_ctx(c, k, ctx_id);
        k->has_auth = u->has_auth;
        k->auth_type = u->auth_type;
        k->auth_level = u->auth_level;
        if (u->flags & PFC_OBJECT) {
            k->has_object = 1;
            memcpy(k->object, obj, sizeof obj);
        }
        k->want_stub =
            stub_wanted(k->iface, opnum) && !(u->has_auth && u->auth_level >= AUTH_LEVEL_PRIVACY);
        if (k->want_stub)
            buf_init(&k->stub, DCERPC_STUB_CAP);
    } else if (k->state != CALL_REQ) {
        proto_anomaly(o, "dcerpc.orphan_fragment");
        return;
    }
    k->req_bytes += stub_len;
    if (k->want_stub) {
        if (stub_len > DCERPC_STUB_TOTAL - c->stub_total ||
            buf_append(&k->stub, stub, stub_len) != 0) {
            proto_anomaly(o, "dcerpc.stub_too_big");
            k->want_stub = 0; /* decode what arrived within the caps */
        } else {
            c->stub_total += stub_len;
        }
    }
    if (u->flags & PFC_LAST) {
        k->state |= CALL_REQ_DONE;
        if (k->stub.len)
            stub_decode(k, o, u->le);
        c->stub_total -= k->stub.len;
        buf_release(&k->stub);
        k->want_stub = 0;
    }
}

static void pdu_response(struct dcerpc_conn *c, struct proto_out *o, const struct pdu *u)
{
    struct rdr r;
    rdr_init(&r, u->p, u->stub_end);
    rdr_skip(&r, DCERPC_HDR + 4);
    uint16_t ctx_id = rd16(&r, u->le);
    rdr_skip(&r, 2); /* cancel_count, reserved */
    uint32_t status = 0;
    if (u->ptype == PT_FAULT)
        status = rd32(&r, u->le);
    if (!rdr_ok(&r)) {
        proto_anomaly(o, "dcerpc.truncated_pdu");
        return;
    }
    size_t at = 0;
    struct call *k = call_find(c, u->call_id, &at);
    if (!k) {
        /* midstream, or the request was lost: still say what came back */
        proto_anomaly(o, "dcerpc.unmatched_response");
        k = call_new(c, o, u->call_id);
        if (!k)
            return;
        call_set_ctx(c, k, ctx_id);
        call_find(c, u->call_id, &at);
    }
    k->state |= CALL_RESP;
    if (u->ptype == PT_FAULT) {
        k->fault = 1;
        k->status = status;
    } else {
        k->resp_bytes += rdr_left(&r);
    }
    if (u->ptype == PT_FAULT || (u->flags & PFC_LAST)) {
        call_emit(c, o, k);
        call_drop(c, at);
    }
}

/* One whole PDU of frag_len bytes (header checked by hdr_plausible). */
static void pdu(struct dcerpc_conn *c, struct proto_out *o, const uint8_t *p, size_t n)
{
    struct pdu u = {.p = p, .le = (p[4] >> 4) == 1, .ptype = p[2], .flags = p[3]};
    struct rdr r;
    rdr_init(&r, p, n);
    rdr_skip(&r, 10);
    size_t auth_len = rd16(&r, u.le);
    u.call_id = rd32(&r, u.le);
    u.stub_end = n;
    if (auth_len) {
        /* sec_trailer sits 8 bytes before the auth value; its pad length cuts the stub */
        if (n < DCERPC_HDR + 8 + auth_len) {
            proto_anomaly(o, "dcerpc.bad_auth_length");
        } else {
            const uint8_t *t = p + n - auth_len - 8;
            u.has_auth = 1;
            u.auth_type = t[0];
            u.auth_level = t[1];
            size_t pad = t[2], end = n - auth_len - 8;
            u.stub_end = pad <= end - DCERPC_HDR ? end - pad : end;
        }
    }
    switch (u.ptype) {
    case PT_REQUEST:
        pdu_request(c, o, &u);
        break;
    case PT_RESPONSE:
    case PT_FAULT:
        pdu_response(c, o, &u);
        break;
    case PT_BIND:
    case PT_ALTER:
        pdu_bind(c, o, &u);
        break;
    case PT_BIND_ACK:
    case PT_ALTER_RESP:
        pdu_bind_ack(c, o, &u);
        break;
    case PT_BIND_NAK:
        pdu_bind_nak(c, o);
        break;
    default:
        break; /* auth3, shutdown, cancel, orphaned, rts: nothing to record */
    }
}

/* ---------------------------------------------------------------- byte stream */

void dcerpc_conn_data(struct dcerpc_conn *c, struct proto_out *o, int dir, const uint8_t *d,
                      size_t n)
{
    if (!c || !d)
        return;
    if (!c->ready)
        conn_init(c, NULL);
    struct dir_state *s = &c->dir[dir & 1];
    while (n > 0) {
        if (s->resync) {
            /* look for the next plausible header in this chunk; drop what is before it */
            size_t i = 0;
            while (i + DCERPC_HDR <= n && !hdr_plausible(d + i))
                i++;
            if (i + DCERPC_HDR > n)
                return;
            d += i;
            n -= i;
            s->resync = 0;
            buf_reset(&s->acc);
        }
        if (s->acc.len == 0 && n >= DCERPC_HDR) {
            if (!hdr_plausible(d)) {
                proto_anomaly(o, "dcerpc.bad_header");
                s->resync = 1;
                d++, n--;
                continue;
            }
            size_t fl = hdr_frag_len(d);
            if (n >= fl) {
                pdu(c, o, d, fl);
                d += fl, n -= fl;
                continue;
            }
        }
        size_t want = s->acc.len < DCERPC_HDR ? DCERPC_HDR : hdr_frag_len(s->acc.data);
        size_t take = want - s->acc.len < n ? want - s->acc.len : n;
        if (buf_append(&s->acc, d, take) != 0)
            return; /* out of memory: drop the rest of this chunk */
        d += take, n -= take;
        if (s->acc.len == DCERPC_HDR && want == DCERPC_HDR) {
            if (!hdr_plausible(s->acc.data)) {
                proto_anomaly(o, "dcerpc.bad_header");
                s->resync = 1;
                buf_reset(&s->acc);
                continue;
            }
            want = hdr_frag_len(s->acc.data);
        }
        if (s->acc.len >= DCERPC_HDR && s->acc.len == want) {
            pdu(c, o, s->acc.data, s->acc.len);
            buf_reset(&s->acc);
        }
    }
}

void dcerpc_conn_end(struct dcerpc_conn *c, struct proto_out *o)
{
    if (!c || !c->ready)
        return;
    bind_emit(c, o);
    for (size_t i = 0; i < c->ncalls; i++)
        call_emit(c, o, &c->calls[i]);
    while (c->ncalls)
        call_drop(c, c->ncalls - 1);
}

struct dcerpc_conn *dcerpc_conn_new(const char *pipe_name)
{
    struct dcerpc_conn *c = malloc(sizeof *c);
    if (c)
        conn_init(c, pipe_name);
    return c;
}

void dcerpc_conn_free(struct dcerpc_conn *c)
{
    if (!c)
        return;
    conn_release(c);
    free(c);
}

/* ---------------------------------------------------------------- TCP parser */

static int dcerpc_probe(const struct proto_ctx *x, int dir, const uint8_t *d, size_t n)
{
    (void)dir;
    if (n >= DCERPC_HDR && hdr_plausible(d)) {
        /* every connection-oriented exchange opens with bind / alter_context (or its answer) */
        uint8_t t = d[2];
        if (t == PT_BIND || t == PT_ALTER || t == PT_BIND_ACK || t == PT_ALTER_RESP ||
            t == PT_REQUEST || t == PT_RESPONSE)
            return PROTO_CONTENT;
    }
    if (x && (x->srv_port == 135 || x->cli_port == 135))
        return PROTO_PORT;
    return PROTO_NO;
}

static int tcp_data(void *st, struct proto_out *o, const struct proto_ctx *x, int dir,
                    const uint8_t *d, size_t n)
{
    (void)x;
    dcerpc_conn_data(st, o, dir, d, n);
    return 0;
}

static void tcp_gap(void *st, struct proto_out *o, const struct proto_ctx *x, int dir, uint64_t n)
{
    (void)o, (void)x, (void)n;
    struct dcerpc_conn *c = st;
    if (!c->ready)
        conn_init(c, NULL);
    c->dir[dir & 1].resync = 1;
    buf_reset(&c->dir[dir & 1].acc);
}

static void tcp_end(void *st, struct proto_out *o, const struct proto_ctx *x)
{
    (void)x;
    dcerpc_conn_end(st, o);
}

static void tcp_release(void *st)
{
    conn_release(st);
}

const struct proto_parser proto_dcerpc = {
    .name = "dcerpc",
    .l4 = 6,
    .probe = dcerpc_probe,
    .state_size = sizeof(struct dcerpc_conn),
    .data = tcp_data,
    .gap = tcp_gap,
    .end = tcp_end,
    .release = tcp_release,
};
