--- The AWS Regions where Amazon Cognito user pools (the cognito-idp endpoint) are offered,
-- as data kept in this one place.
--
-- Source: botocore 1.43.11's endpoints.json (botocore/data/endpoints.json, the endpoint data
-- the AWS SDK for Python ships), service "cognito-idp", every partition that lists it (aws,
-- aws-us-gov, aws-eusc; the China partition does not); the names are botocore's region
-- descriptions; `fips` marks a region with a cognito-idp-fips endpoint. Cross-checked against
-- the AWS General Reference page "Amazon Cognito endpoints and quotas"
-- (https://docs.aws.amazon.com/general/latest/gr/cognito.html, "Amazon Cognito user pools").
-- Checked 2026-12-02. A Region added later is still reachable: a client takes any region
-- name; this list is what an estate-wide audit walks by default.
-- @module cognito_mfa.regions

local error = error
local ipairs = ipairs
local type = type

local _M = {}

--- Where the list comes from, and when it was checked.
_M.SOURCE = "botocore 1.43.11 botocore/data/endpoints.json (service cognito-idp), "
  .. "cross-checked with https://docs.aws.amazon.com/general/latest/gr/cognito.html"
_M.CHECKED = "2026-12-02"

-- { region, partition, name, fips = true when a FIPS endpoint exists }
local REGIONS = {
  { "af-south-1", "aws", "Africa (Cape Town)" },
  { "ap-east-1", "aws", "Asia Pacific (Hong Kong)" },
  { "ap-east-2", "aws", "Asia Pacific (Taipei)" },
  { "ap-northeast-1", "aws", "Asia Pacific (Tokyo)" },
  { "ap-northeast-2", "aws", "Asia Pacific (Seoul)" },
  { "ap-northeast-3", "aws", "Asia Pacific (Osaka)" },
  { "ap-south-1", "aws", "Asia Pacific (Mumbai)" },
  { "ap-south-2", "aws", "Asia Pacific (Hyderabad)" },
  { "ap-southeast-1", "aws", "Asia Pacific (Singapore)" },
  { "ap-southeast-2", "aws", "Asia Pacific (Sydney)" },
  { "ap-southeast-3", "aws", "Asia Pacific (Jakarta)" },
  { "ap-southeast-4", "aws", "Asia Pacific (Melbourne)" },
  { "ap-southeast-5", "aws", "Asia Pacific (Malaysia)" },
  { "ap-southeast-6", "aws", "Asia Pacific (New Zealand)" },
  { "ap-southeast-7", "aws", "Asia Pacific (Thailand)" },
  { "ca-central-1", "aws", "Canada (Central)" },
  { "ca-west-1", "aws", "Canada West (Calgary)" },
  { "eu-central-1", "aws", "Europe (Frankfurt)" },
  { "eu-central-2", "aws", "Europe (Zurich)" },
  { "eu-north-1", "aws", "Europe (Stockholm)" },
  { "eu-south-1", "aws", "Europe (Milan)" },
  { "eu-south-2", "aws", "Europe (Spain)" },
  { "eu-west-1", "aws", "Europe (Ireland)" },
  { "eu-west-2", "aws", "Europe (London)" },
  { "eu-west-3", "aws", "Europe (Paris)" },
  { "il-central-1", "aws", "Israel (Tel Aviv)" },
  { "me-central-1", "aws", "Middle East (UAE)" },
  { "me-south-1", "aws", "Middle East (Bahrain)" },
  { "mx-central-1", "aws", "Mexico (Central)" },
  { "sa-east-1", "aws", "South America (Sao Paulo)" },
  { "us-east-1", "aws", "US East (N. Virginia)", fips = true },
  { "us-east-2", "aws", "US East (Ohio)", fips = true },
  { "us-west-1", "aws", "US West (N. California)", fips = true },
  { "us-west-2", "aws", "US West (Oregon)", fips = true },
  { "us-gov-east-1", "aws-us-gov", "AWS GovCloud (US-East)" },
  { "us-gov-west-1", "aws-us-gov", "AWS GovCloud (US-West)", fips = true },
  { "eusc-de-east-1", "aws-eusc", "AWS European Sovereign Cloud (Germany)" },
}

--- The regions, in alphabetical order within each partition.
-- @string[opt] partition only this partition ("aws", "aws-us-gov", "aws-eusc"); default all
-- @return a list of { region, partition, name, fips } (fresh tables)
-- @raise when partition is given and is not a string
function _M.list(partition)
  if partition ~= nil and type(partition) ~= "string" then
    error("regions.list: partition must be a string, got " .. type(partition), 2)
  end
  local out = {}
  for _, r in ipairs(REGIONS) do
    if partition == nil or r[2] == partition then
      out[#out + 1] = { region = r[1], partition = r[2], name = r[3], fips = r.fips == true }
    end
  end
  return out
end

--- The region names only (e.g. for audit loops), optionally of one partition.
function _M.names(partition)
  local out = {}
  for i, r in ipairs(_M.list(partition)) do out[i] = r.region end
  return out
end

--- Whether cognito-idp is offered in a region (by this list).
function _M.offered(region)
  for _, r in ipairs(REGIONS) do
    if r[1] == region then
      return true
    end
  end
  return false
end

return _M
