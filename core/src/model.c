/* The model: one declarative description of every shape used by GetUserPoolMfaConfig,
 * SetUserPoolMfaConfig, ListUserPools and DescribeUserPool (cognito-idp API 2016-04-18, as
 * of botocore 1.43.56). Validation, the codec, the Lua layer and the CLI all read it; adding
 * a member is one line here.
 *
 * Facts only: names, types, required members, length/range limits, patterns (applied as a
 * full match) and enum values. Shapes are defined leaves first so that every reference is to
 * an object already defined. Map keys are not described (struct cmfa_shape has no key shape;
 * the one map, UserPoolTagsType, appears in responses only). */
#include <string.h>

#include "cmfa_int.h"

/* ------------------------------------------------------------------ helpers */

#define LEN(lo, hi) .has_min = 1, .min = (lo), .has_max = 1, .max = (hi)
#define MIN(lo) .has_min = 1, .min = (lo)
#define MAX(hi) .has_max = 1, .max = (hi)
#define PATTERN(p) .pattern = (p)
#define ENUM(e) .enums = (e)

#define SCALAR(id, t, ...) \
    static const struct cmfa_shape sh_##id = {.name = #id, .type = (t), __VA_ARGS__}
#define STRING(id, ...) SCALAR(id, CMFA_SHAPE_STRING, __VA_ARGS__)
#define INTEGER(id, ...) SCALAR(id, CMFA_SHAPE_INTEGER, __VA_ARGS__)
#define BOOLEAN(id) SCALAR(id, CMFA_SHAPE_BOOLEAN, .sensitive = 0)
#define TIMESTAMP(id) SCALAR(id, CMFA_SHAPE_TIMESTAMP, .sensitive = 0)
#define LIST(id, elem, ...) \
    SCALAR(id, CMFA_SHAPE_LIST, .element = &sh_##elem, __VA_ARGS__)
#define MAP(id, value) SCALAR(id, CMFA_SHAPE_MAP, .element = &sh_##value)
#define STRUCTURE(id)                                                                  \
    static const struct cmfa_shape sh_##id = {.name = #id,                             \
                                              .type = CMFA_SHAPE_STRUCTURE,            \
                                              .members = members_##id,                 \
                                              .nmembers = CMFA__ARRAY_LEN(members_##id)}
#define MEMBERS(id) static const struct cmfa_member members_##id[]
#define M(name, shape) {#name, &sh_##shape, 0}
#define REQ(name, shape) {#name, &sh_##shape, 1}

/* Character classes shared by several patterns. */
#define ARN_CHARS "[\\w+=/,.@-]"
#define ARN_RE                                                                      \
    "arn:" ARN_CHARS "+:" ARN_CHARS "+:(" ARN_CHARS "*)?:[0-9]+:" ARN_CHARS "+(:" ARN_CHARS \
    "+)?(:" ARN_CHARS "+)?"
#define VISIBLE "\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}"

/* ------------------------------------------------------------------ enums */

static const char *const enum_UserPoolMfaType[] = {"OFF", "ON", "OPTIONAL", NULL};
static const char *const enum_UserVerificationType[] = {"required", "preferred", NULL};
static const char *const enum_WebAuthnFactorConfigurationType[] = {
    "SINGLE_FACTOR", "MULTI_FACTOR_WITH_USER_VERIFICATION", NULL};
static const char *const enum_PreTokenGenerationLambdaVersionType[] = {"V1_0", "V2_0", "V3_0",
                                                                       NULL};
static const char *const enum_V1_0[] = {"V1_0", NULL};
static const char *const enum_StatusType[] = {"Enabled", "Disabled", NULL};
static const char *const enum_AuthFactorType[] = {"PASSWORD", "EMAIL_OTP", "SMS_OTP",
                                                  "WEB_AUTHN", "SOFTWARE_TOKEN", NULL};
static const char *const enum_DeletionProtectionType[] = {"ACTIVE", "INACTIVE", NULL};
static const char *const enum_AttributeDataType[] = {"String", "Number", "DateTime", "Boolean",
                                                     NULL};
static const char *const enum_VerifiedAttributeType[] = {"phone_number", "email", NULL};
static const char *const enum_AliasAttributeType[] = {"phone_number", "email",
                                                      "preferred_username", NULL};
static const char *const enum_DefaultEmailOptionType[] = {"CONFIRM_WITH_LINK",
                                                          "CONFIRM_WITH_CODE", NULL};
static const char *const enum_EmailSendingAccountType[] = {"COGNITO_DEFAULT", "DEVELOPER", NULL};
static const char *const enum_AdvancedSecurityModeType[] = {"OFF", "AUDIT", "ENFORCED", NULL};
static const char *const enum_AdvancedSecurityEnabledModeType[] = {"AUDIT", "ENFORCED", NULL};
static const char *const enum_RecoveryOptionNameType[] = {
    "verified_email", "verified_phone_number", "admin_only", NULL};
static const char *const enum_UserPoolTierType[] = {"LITE", "ESSENTIALS", "PLUS", NULL};
static const char *const enum_EncryptionKeyType[] = {"AWS_OWNED_KEY", "CUSTOMER_MANAGED_KEY",
                                                     NULL};
static const char *const enum_IssuerType[] = {"ORIGINAL", "UPDATED", NULL};

/* ------------------------------------------------------------------ scalars */

STRING(UserPoolIdType, LEN(1, 55), PATTERN("[\\w-]+_[0-9a-zA-Z]+"));
STRING(SmsVerificationMessageType, LEN(6, 140), PATTERN(".*\\{####\\}.*"));
STRING(OptionalArnType, LEN(0, 2048), PATTERN("(" ARN_RE ")?"));
STRING(StringType, LEN(0, 131072));
STRING(RegionCodeType, LEN(5, 32));
STRING(ArnType, LEN(20, 2048), PATTERN(ARN_RE));
BOOLEAN(BooleanType);
STRING(EmailMfaMessageType, LEN(6, 20000),
       PATTERN("[" VISIBLE "\\s*]*\\{####\\}[" VISIBLE "\\s*]*"));
STRING(EmailMfaSubjectType, PATTERN("[" VISIBLE "\\s]+"));
STRING(UserPoolMfaType, ENUM(enum_UserPoolMfaType));
STRING(RelyingPartyIdType, LEN(1, 127));
STRING(UserVerificationType, ENUM(enum_UserVerificationType));
STRING(WebAuthnFactorConfigurationType, ENUM(enum_WebAuthnFactorConfigurationType));
STRING(PaginationKeyType, MIN(1), PATTERN("[\\S]+"));
INTEGER(PoolQueryLimitType, LEN(1, 60));
STRING(UserPoolNameType, LEN(1, 128), PATTERN("[\\w\\s+=,.@-]+"));
STRING(PreTokenGenerationLambdaVersionType, ENUM(enum_PreTokenGenerationLambdaVersionType));
STRING(CustomSMSSenderLambdaVersionType, ENUM(enum_V1_0));
STRING(CustomEmailSenderLambdaVersionType, ENUM(enum_V1_0));
STRING(InboundFederationLambdaVersionType, ENUM(enum_V1_0));
STRING(StatusType, ENUM(enum_StatusType));
TIMESTAMP(DateType);
INTEGER(PasswordPolicyMinLengthType, LEN(6, 99));
INTEGER(PasswordHistorySizeType, LEN(0, 24));
INTEGER(TemporaryPasswordValidityDaysType, LEN(0, 365));
STRING(AuthFactorType, ENUM(enum_AuthFactorType));
STRING(DeletionProtectionType, ENUM(enum_DeletionProtectionType));
STRING(CustomAttributeNameType, LEN(1, 20), PATTERN("[" VISIBLE "]+"));
STRING(AttributeDataType, ENUM(enum_AttributeDataType));
STRING(VerifiedAttributeType, ENUM(enum_VerifiedAttributeType));
STRING(AliasAttributeType, ENUM(enum_AliasAttributeType));
STRING(UsernameAttributeType, ENUM(enum_VerifiedAttributeType));
STRING(EmailVerificationMessageType, LEN(6, 20000),
       PATTERN("[" VISIBLE "\\s*]*\\{####\\}[" VISIBLE "\\s*]*"));
STRING(EmailVerificationSubjectType, LEN(1, 140), PATTERN("[" VISIBLE "\\s]+"));
STRING(EmailVerificationMessageByLinkType, LEN(6, 20000),
       PATTERN("[" VISIBLE "\\s*]*\\{##[" VISIBLE "\\s*]*##\\}[" VISIBLE "\\s*]*"));
STRING(EmailVerificationSubjectByLinkType, LEN(1, 140), PATTERN("[" VISIBLE "\\s]+"));
STRING(DefaultEmailOptionType, ENUM(enum_DefaultEmailOptionType));
INTEGER(IntegerType, .sensitive = 0);
STRING(EmailAddressType, PATTERN("[" VISIBLE "]+@[" VISIBLE "]+"));
STRING(EmailSendingAccountType, ENUM(enum_EmailSendingAccountType));
STRING(SESConfigurationSet, LEN(1, 64), PATTERN("^[a-zA-Z0-9_-]+$"));
STRING(TagValueType, LEN(0, 256));
STRING(DomainType, LEN(1, 63), PATTERN("^[a-z0-9](?:[a-z0-9\\-]{0,61}[a-z0-9])?$"));
INTEGER(AdminCreateUserUnusedAccountValidityDaysType, LEN(0, 365));
STRING(SmsInviteMessageType, LEN(6, 140), PATTERN("(?s).*"));
STRING(EmailInviteMessageType, LEN(6, 20000), PATTERN("[" VISIBLE "\\s*]*"));
STRING(AdvancedSecurityModeType, ENUM(enum_AdvancedSecurityModeType));
STRING(AdvancedSecurityEnabledModeType, ENUM(enum_AdvancedSecurityEnabledModeType));
BOOLEAN(WrappedBooleanType);
INTEGER(PriorityType, LEN(1, 2));
STRING(RecoveryOptionNameType, ENUM(enum_RecoveryOptionNameType));
STRING(UserPoolTierType, ENUM(enum_UserPoolTierType));
STRING(EncryptionKeyType, ENUM(enum_EncryptionKeyType));
STRING(EncryptionKeyArnType, LEN(20, 2048), PATTERN(ARN_RE));
STRING(IssuerType, ENUM(enum_IssuerType));

/* ------------------------------------------------------------------ MFA configuration */

MEMBERS(EumsSmsConfigurationType) = {
    REQ(CallerArn, ArnType),
    M(ExternalId, StringType),
    M(OriginationIdentity, StringType),
    M(ConfigurationSetName, StringType),
    M(InEntityId, StringType),
    M(InTemplateId, StringType),
    M(Region, RegionCodeType),
};
STRUCTURE(EumsSmsConfigurationType);

MEMBERS(SmsConfigurationType) = {
    M(SnsCallerArn, OptionalArnType),
    M(ExternalId, StringType),
    M(SnsRegion, RegionCodeType),
    M(EumsSms, EumsSmsConfigurationType),
};
STRUCTURE(SmsConfigurationType);

MEMBERS(SmsMfaConfigType) = {
    M(SmsAuthenticationMessage, SmsVerificationMessageType),
    M(SmsConfiguration, SmsConfigurationType),
};
STRUCTURE(SmsMfaConfigType);

MEMBERS(SoftwareTokenMfaConfigType) = {
    M(Enabled, BooleanType),
};
STRUCTURE(SoftwareTokenMfaConfigType);

MEMBERS(EmailMfaConfigType) = {
    M(Message, EmailMfaMessageType),
    M(Subject, EmailMfaSubjectType),
};
STRUCTURE(EmailMfaConfigType);

MEMBERS(WebAuthnConfigurationType) = {
    M(RelyingPartyId, RelyingPartyIdType),
    M(UserVerification, UserVerificationType),
    M(FactorConfiguration, WebAuthnFactorConfigurationType),
};
STRUCTURE(WebAuthnConfigurationType);

MEMBERS(GetUserPoolMfaConfigRequest) = {
    REQ(UserPoolId, UserPoolIdType),
};
STRUCTURE(GetUserPoolMfaConfigRequest);

MEMBERS(GetUserPoolMfaConfigResponse) = {
    M(SmsMfaConfiguration, SmsMfaConfigType),
    M(SoftwareTokenMfaConfiguration, SoftwareTokenMfaConfigType),
    M(EmailMfaConfiguration, EmailMfaConfigType),
    M(MfaConfiguration, UserPoolMfaType),
    M(WebAuthnConfiguration, WebAuthnConfigurationType),
};
STRUCTURE(GetUserPoolMfaConfigResponse);

MEMBERS(SetUserPoolMfaConfigRequest) = {
    REQ(UserPoolId, UserPoolIdType),
    M(SmsMfaConfiguration, SmsMfaConfigType),
    M(SoftwareTokenMfaConfiguration, SoftwareTokenMfaConfigType),
    M(EmailMfaConfiguration, EmailMfaConfigType),
    M(MfaConfiguration, UserPoolMfaType),
    M(WebAuthnConfiguration, WebAuthnConfigurationType),
};
STRUCTURE(SetUserPoolMfaConfigRequest);

MEMBERS(SetUserPoolMfaConfigResponse) = {
    M(SmsMfaConfiguration, SmsMfaConfigType),
    M(SoftwareTokenMfaConfiguration, SoftwareTokenMfaConfigType),
    M(EmailMfaConfiguration, EmailMfaConfigType),
    M(MfaConfiguration, UserPoolMfaType),
    M(WebAuthnConfiguration, WebAuthnConfigurationType),
};
STRUCTURE(SetUserPoolMfaConfigResponse);

/* ------------------------------------------------------------------ ListUserPools */

MEMBERS(PreTokenGenerationVersionConfigType) = {
    REQ(LambdaVersion, PreTokenGenerationLambdaVersionType),
    REQ(LambdaArn, ArnType),
};
STRUCTURE(PreTokenGenerationVersionConfigType);

MEMBERS(CustomSMSLambdaVersionConfigType) = {
    REQ(LambdaVersion, CustomSMSSenderLambdaVersionType),
    REQ(LambdaArn, ArnType),
};
STRUCTURE(CustomSMSLambdaVersionConfigType);

MEMBERS(CustomEmailLambdaVersionConfigType) = {
    REQ(LambdaVersion, CustomEmailSenderLambdaVersionType),
    REQ(LambdaArn, ArnType),
};
STRUCTURE(CustomEmailLambdaVersionConfigType);

MEMBERS(InboundFederationLambdaType) = {
    REQ(LambdaVersion, InboundFederationLambdaVersionType),
    REQ(LambdaArn, ArnType),
};
STRUCTURE(InboundFederationLambdaType);

MEMBERS(LambdaConfigType) = {
    M(PreSignUp, ArnType),
    M(CustomMessage, ArnType),
    M(PostConfirmation, ArnType),
    M(PreAuthentication, ArnType),
    M(PostAuthentication, ArnType),
    M(DefineAuthChallenge, ArnType),
    M(CreateAuthChallenge, ArnType),
    M(VerifyAuthChallengeResponse, ArnType),
    M(PreTokenGeneration, ArnType),
    M(UserMigration, ArnType),
    M(PreTokenGenerationConfig, PreTokenGenerationVersionConfigType),
    M(CustomSMSSender, CustomSMSLambdaVersionConfigType),
    M(CustomEmailSender, CustomEmailLambdaVersionConfigType),
    M(KMSKeyID, ArnType),
    M(InboundFederation, InboundFederationLambdaType),
};
STRUCTURE(LambdaConfigType);

LIST(ReplicaRegionsType, StringType, .sensitive = 0);

MEMBERS(UserPoolDescriptionType) = {
    M(Id, UserPoolIdType),
    M(Name, UserPoolNameType),
    M(LambdaConfig, LambdaConfigType),
    M(Status, StatusType), /* deprecated in the model */
    M(LastModifiedDate, DateType),
    M(CreationDate, DateType),
    M(ReplicaRegions, ReplicaRegionsType),
};
STRUCTURE(UserPoolDescriptionType);

LIST(UserPoolListType, UserPoolDescriptionType, .sensitive = 0);

MEMBERS(ListUserPoolsRequest) = {
    M(NextToken, PaginationKeyType),
    REQ(MaxResults, PoolQueryLimitType),
};
STRUCTURE(ListUserPoolsRequest);

MEMBERS(ListUserPoolsResponse) = {
    M(UserPools, UserPoolListType),
    M(NextToken, PaginationKeyType),
};
STRUCTURE(ListUserPoolsResponse);

/* ------------------------------------------------------------------ DescribeUserPool */

MEMBERS(PasswordPolicyType) = {
    M(MinimumLength, PasswordPolicyMinLengthType),
    M(RequireUppercase, BooleanType),
    M(RequireLowercase, BooleanType),
    M(RequireNumbers, BooleanType),
    M(RequireSymbols, BooleanType),
    M(PasswordHistorySize, PasswordHistorySizeType),
    M(TemporaryPasswordValidityDays, TemporaryPasswordValidityDaysType),
};
STRUCTURE(PasswordPolicyType);

LIST(AllowedFirstAuthFactorsListType, AuthFactorType, LEN(1, 5));

MEMBERS(SignInPolicyType) = {
    M(AllowedFirstAuthFactors, AllowedFirstAuthFactorsListType),
};
STRUCTURE(SignInPolicyType);

MEMBERS(UserPoolPolicyType) = {
    M(PasswordPolicy, PasswordPolicyType),
    M(SignInPolicy, SignInPolicyType),
};
STRUCTURE(UserPoolPolicyType);

MEMBERS(NumberAttributeConstraintsType) = {
    M(MinValue, StringType),
    M(MaxValue, StringType),
};
STRUCTURE(NumberAttributeConstraintsType);

MEMBERS(StringAttributeConstraintsType) = {
    M(MinLength, StringType),
    M(MaxLength, StringType),
};
STRUCTURE(StringAttributeConstraintsType);

MEMBERS(SchemaAttributeType) = {
    M(Name, CustomAttributeNameType),
    M(AttributeDataType, AttributeDataType),
    M(DeveloperOnlyAttribute, BooleanType),
    M(Mutable, BooleanType),
    M(Required, BooleanType),
    M(NumberAttributeConstraints, NumberAttributeConstraintsType),
    M(StringAttributeConstraints, StringAttributeConstraintsType),
};
STRUCTURE(SchemaAttributeType);

LIST(SchemaAttributesListType, SchemaAttributeType, LEN(1, 50));
LIST(VerifiedAttributesListType, VerifiedAttributeType, .sensitive = 0);
LIST(AliasAttributesListType, AliasAttributeType, .sensitive = 0);
LIST(UsernameAttributesListType, UsernameAttributeType, .sensitive = 0);

MEMBERS(VerificationMessageTemplateType) = {
    M(SmsMessage, SmsVerificationMessageType),
    M(EmailMessage, EmailVerificationMessageType),
    M(EmailSubject, EmailVerificationSubjectType),
    M(EmailMessageByLink, EmailVerificationMessageByLinkType),
    M(EmailSubjectByLink, EmailVerificationSubjectByLinkType),
    M(DefaultEmailOption, DefaultEmailOptionType),
};
STRUCTURE(VerificationMessageTemplateType);

LIST(AttributesRequireVerificationBeforeUpdateType, VerifiedAttributeType, .sensitive = 0);

MEMBERS(UserAttributeUpdateSettingsType) = {
    M(AttributesRequireVerificationBeforeUpdate, AttributesRequireVerificationBeforeUpdateType),
};
STRUCTURE(UserAttributeUpdateSettingsType);

MEMBERS(DeviceConfigurationType) = {
    M(ChallengeRequiredOnNewDevice, BooleanType),
    M(DeviceOnlyRememberedOnUserPrompt, BooleanType),
};
STRUCTURE(DeviceConfigurationType);

MEMBERS(EmailConfigurationType) = {
    M(SourceArn, ArnType),
    M(ReplyToEmailAddress, EmailAddressType),
    M(EmailSendingAccount, EmailSendingAccountType),
    M(From, StringType),
    M(ConfigurationSet, SESConfigurationSet),
};
STRUCTURE(EmailConfigurationType);

MAP(UserPoolTagsType, TagValueType); /* keys: TagKeysType, 1..128 */

MEMBERS(MessageTemplateType) = {
    M(SMSMessage, SmsInviteMessageType),
    M(EmailMessage, EmailInviteMessageType),
    M(EmailSubject, EmailVerificationSubjectType),
};
STRUCTURE(MessageTemplateType);

MEMBERS(AdminCreateUserConfigType) = {
    M(AllowAdminCreateUserOnly, BooleanType),
    M(UnusedAccountValidityDays, AdminCreateUserUnusedAccountValidityDaysType),
    M(InviteMessageTemplate, MessageTemplateType),
};
STRUCTURE(AdminCreateUserConfigType);

MEMBERS(AdvancedSecurityAdditionalFlowsType) = {
    M(CustomAuthMode, AdvancedSecurityEnabledModeType),
};
STRUCTURE(AdvancedSecurityAdditionalFlowsType);

MEMBERS(UserPoolAddOnsType) = {
    REQ(AdvancedSecurityMode, AdvancedSecurityModeType),
    M(AdvancedSecurityAdditionalFlows, AdvancedSecurityAdditionalFlowsType),
};
STRUCTURE(UserPoolAddOnsType);

MEMBERS(UsernameConfigurationType) = {
    REQ(CaseSensitive, WrappedBooleanType),
};
STRUCTURE(UsernameConfigurationType);

MEMBERS(RecoveryOptionType) = {
    REQ(Priority, PriorityType),
    REQ(Name, RecoveryOptionNameType),
};
STRUCTURE(RecoveryOptionType);

LIST(RecoveryMechanismsType, RecoveryOptionType, LEN(1, 2));

MEMBERS(AccountRecoverySettingType) = {
    M(RecoveryMechanisms, RecoveryMechanismsType),
};
STRUCTURE(AccountRecoverySettingType);

MEMBERS(KeyConfigurationType) = {
    M(KeyType, EncryptionKeyType),
    M(KmsKeyArn, EncryptionKeyArnType),
};
STRUCTURE(KeyConfigurationType);

MEMBERS(IssuerConfigurationType) = {
    M(Type, IssuerType),
};
STRUCTURE(IssuerConfigurationType);

MEMBERS(UserPoolType) = {
    M(Id, UserPoolIdType),
    M(Name, UserPoolNameType),
    M(Policies, UserPoolPolicyType),
    M(DeletionProtection, DeletionProtectionType),
    M(LambdaConfig, LambdaConfigType),
    M(Status, StatusType), /* deprecated in the model */
    M(LastModifiedDate, DateType),
    M(CreationDate, DateType),
    M(SchemaAttributes, SchemaAttributesListType),
    M(AutoVerifiedAttributes, VerifiedAttributesListType),
    M(AliasAttributes, AliasAttributesListType),
    M(UsernameAttributes, UsernameAttributesListType),
    M(SmsVerificationMessage, SmsVerificationMessageType),
    M(EmailVerificationMessage, EmailVerificationMessageType),
    M(EmailVerificationSubject, EmailVerificationSubjectType),
    M(VerificationMessageTemplate, VerificationMessageTemplateType),
    M(SmsAuthenticationMessage, SmsVerificationMessageType),
    M(UserAttributeUpdateSettings, UserAttributeUpdateSettingsType),
    M(MfaConfiguration, UserPoolMfaType),
    M(DeviceConfiguration, DeviceConfigurationType),
    M(EstimatedNumberOfUsers, IntegerType),
    M(EmailConfiguration, EmailConfigurationType),
    M(SmsConfiguration, SmsConfigurationType),
    M(UserPoolTags, UserPoolTagsType),
    M(SmsConfigurationFailure, StringType),
    M(EmailConfigurationFailure, StringType),
    M(Domain, DomainType),
    M(CustomDomain, DomainType),
    M(AdminCreateUserConfig, AdminCreateUserConfigType),
    M(UserPoolAddOns, UserPoolAddOnsType),
    M(UsernameConfiguration, UsernameConfigurationType),
    M(Arn, ArnType),
    M(AccountRecoverySetting, AccountRecoverySettingType),
    M(UserPoolTier, UserPoolTierType),
    M(KeyConfiguration, KeyConfigurationType),
    M(IssuerConfiguration, IssuerConfigurationType),
};
STRUCTURE(UserPoolType);

MEMBERS(DescribeUserPoolRequest) = {
    REQ(UserPoolId, UserPoolIdType),
};
STRUCTURE(DescribeUserPoolRequest);

MEMBERS(DescribeUserPoolResponse) = {
    M(UserPool, UserPoolType),
};
STRUCTURE(DescribeUserPoolResponse);

/* ------------------------------------------------------------------ operations */

static const char *const errors_GetUserPoolMfaConfig[] = {
    "InvalidParameterException", "TooManyRequestsException", "ResourceNotFoundException",
    "NotAuthorizedException",    "InternalErrorException",   NULL};

static const char *const errors_SetUserPoolMfaConfig[] = {
    "InvalidParameterException",
    "TooManyRequestsException",
    "ConcurrentModificationException",
    "ResourceNotFoundException",
    "InvalidSmsRoleAccessPolicyException",
    "InvalidSmsRoleTrustRelationshipException",
    "NotAuthorizedException",
    "OperationNotEnabledException",
    "InternalErrorException",
    "FeatureUnavailableInTierException",
    NULL};

static const char *const errors_ListUserPools[] = {
    "InvalidParameterException", "TooManyRequestsException", "NotAuthorizedException",
    "InternalErrorException", NULL};

static const char *const errors_DescribeUserPool[] = {
    "ResourceNotFoundException", "InvalidParameterException",    "TooManyRequestsException",
    "NotAuthorizedException",    "UserPoolTaggingException",     "OperationNotEnabledException",
    "InternalErrorException",    NULL};

#define OPERATION(op) {#op, &sh_##op##Request, &sh_##op##Response, errors_##op}

static const struct cmfa_operation operations[] = {
    OPERATION(GetUserPoolMfaConfig),
    OPERATION(SetUserPoolMfaConfig),
    OPERATION(ListUserPools),
    OPERATION(DescribeUserPool),
};

/* ------------------------------------------------------------------ lookups */

const struct cmfa_operation *cmfa_model_operation(const char *name)
{
    size_t i;

    if (!name)
        return NULL;
    for (i = 0; i < CMFA__ARRAY_LEN(operations); i++)
        if (strcmp(operations[i].name, name) == 0)
            return &operations[i];
    return NULL;
}

const struct cmfa_operation *cmfa_model_operation_at(size_t i)
{
    return i < CMFA__ARRAY_LEN(operations) ? &operations[i] : NULL;
}

/* Depth-first search through the shapes reachable from s (the model has no cycles). */
static const struct cmfa_shape *find_shape(const struct cmfa_shape *s, const char *name)
{
    const struct cmfa_shape *found;
    size_t i;

    if (!s)
        return NULL;
    if (strcmp(s->name, name) == 0)
        return s;
    for (i = 0; i < s->nmembers; i++)
        if ((found = find_shape(s->members[i].shape, name)))
            return found;
    return find_shape(s->element, name);
}

const struct cmfa_shape *cmfa_model_shape(const char *name)
{
    const struct cmfa_shape *found;
    size_t i;

    if (!name)
        return NULL;
    for (i = 0; i < CMFA__ARRAY_LEN(operations); i++) {
        if ((found = find_shape(operations[i].input, name)))
            return found;
        if ((found = find_shape(operations[i].output, name)))
            return found;
    }
    return NULL;
}

const char *cmfa_shape_type_name(cmfa_shape_type t)
{
    switch (t) {
    case CMFA_SHAPE_STRUCTURE: return "structure";
    case CMFA_SHAPE_LIST: return "list";
    case CMFA_SHAPE_MAP: return "map";
    case CMFA_SHAPE_STRING: return "string";
    case CMFA_SHAPE_INTEGER: return "integer";
    case CMFA_SHAPE_LONG: return "long";
    case CMFA_SHAPE_BOOLEAN: return "boolean";
    case CMFA_SHAPE_TIMESTAMP: return "timestamp";
    case CMFA_SHAPE_DOUBLE: return "double";
    }
    return "unknown";
}

const struct cmfa_member *cmfa__shape_member(const struct cmfa_shape *s, const char *name)
{
    size_t i;

    if (!s || !name || s->type != CMFA_SHAPE_STRUCTURE)
        return NULL;
    for (i = 0; i < s->nmembers; i++)
        if (strcmp(s->members[i].name, name) == 0)
            return &s->members[i];
    return NULL;
}
