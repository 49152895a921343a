/**
 * Where data may live (spec: "Regions"). Pure data and lookups; no AWS SDK.
 */

/** EU/EEA AWS regions, as the spec lists them. */
export const EU_EEA_REGIONS = [
  'eu-north-1',
  'eu-west-1',
  'eu-west-3',
  'eu-central-1',
  'eu-south-1',
  'eu-south-2',
  'eusc-de-east-1',
] as const;

/** Regions in countries with an EU adequacy decision, admitted with `allowAdequacyRegions: true`. */
export const ADEQUACY_REGIONS = ['eu-west-2', 'eu-central-2'] as const;

/** Global AWS services whose API calls are not tied to the deployment region (exempt from region pinning). */
export const GLOBAL_SERVICE_ACTIONS = [
  'iam:*',
  'sts:*',
  'organizations:*',
  'route53:*',
  'cloudfront:*',
  'support:*',
  'budgets:*',
  'waf:*',
  'health:*',
  'trustedadvisor:*',
] as const;

/** EU member states and the EEA EFTA states (IS, LI, NO), ISO 3166-1 alpha-2. */
export const EU_EEA_COUNTRIES = [
  'AT',
  'BE',
  'BG',
  'HR',
  'CY',
  'CZ',
  'DK',
  'EE',
  'FI',
  'FR',
  'DE',
  'GR',
  'HU',
  'IE',
  'IT',
  'LV',
  'LT',
  'LU',
  'MT',
  'NL',
  'PL',
  'PT',
  'RO',
  'SK',
  'SI',
  'ES',
  'SE',
  'IS',
  'LI',
  'NO',
] as const;

/** The country of each public AWS region, for transfer checks and the register. */
export const AWS_REGION_COUNTRIES: Readonly<Record<string, string>> = {
  'eu-north-1': 'SE',
  'eu-west-1': 'IE',
  'eu-west-2': 'GB',
  'eu-west-3': 'FR',
  'eu-central-1': 'DE',
  'eu-central-2': 'CH',
  'eu-south-1': 'IT',
  'eu-south-2': 'ES',
  'eusc-de-east-1': 'DE',
  'us-east-1': 'US',
  'us-east-2': 'US',
  'us-west-1': 'US',
  'us-west-2': 'US',
  'us-gov-east-1': 'US',
  'us-gov-west-1': 'US',
  'ca-central-1': 'CA',
  'ca-west-1': 'CA',
  'mx-central-1': 'MX',
  'sa-east-1': 'BR',
  'af-south-1': 'ZA',
  'me-south-1': 'BH',
  'me-central-1': 'AE',
  'il-central-1': 'IL',
  'ap-east-1': 'HK',
  'ap-east-2': 'TW',
  'ap-south-1': 'IN',
  'ap-south-2': 'IN',
  'ap-northeast-1': 'JP',
  'ap-northeast-2': 'KR',
  'ap-northeast-3': 'JP',
  'ap-southeast-1': 'SG',
  'ap-southeast-2': 'AU',
  'ap-southeast-3': 'ID',
  'ap-southeast-4': 'AU',
  'ap-southeast-5': 'MY',
  'ap-southeast-6': 'NZ',
  'ap-southeast-7': 'TH',
  'cn-north-1': 'CN',
  'cn-northwest-1': 'CN',
};

const REGION_SHAPE = /^[a-z]{2,4}(-[a-z]+)+-\d+$/;
const NOT_COUNTRIES = new Set(['ZZ', 'QO', 'UN', 'EZ', 'XA', 'XB', 'UK']);
const regionNames = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });

/** The regions a policy may deploy to. */
export function allowedRegions(allowAdequacyRegions: boolean): readonly string[] {
  return allowAdequacyRegions ? [...EU_EEA_REGIONS, ...ADEQUACY_REGIONS] : EU_EEA_REGIONS;
}

export type Location =
  | { readonly kind: 'region'; readonly region: string; readonly country: string | undefined; readonly inEuEea: boolean }
  | { readonly kind: 'country'; readonly country: string; readonly inEuEea: boolean };

/**
 * Interprets a system's `location`: an AWS region or an ISO 3166 alpha-2 country code (`EU` stands for the
 * Union as a whole). Returns undefined when it is neither.
 */
export function parseLocation(location: string): Location | undefined {
  if (REGION_SHAPE.test(location)) {
    const country = AWS_REGION_COUNTRIES[location];
    if (country === undefined) return undefined;
    return { kind: 'region', region: location, country, inEuEea: (EU_EEA_REGIONS as readonly string[]).includes(location) };
  }
  if (location === 'EU') return { kind: 'country', country: 'EU', inEuEea: true };
  if (/^[A-Z]{2}$/.test(location) && !NOT_COUNTRIES.has(location) && regionNames.of(location) !== undefined) {
    return { kind: 'country', country: location, inEuEea: (EU_EEA_COUNTRIES as readonly string[]).includes(location) };
  }
  return undefined;
}

/** English name of a location, for the register ("Sweden (eu-north-1)"). */
export function describeLocation(location: string): string {
  const parsed = parseLocation(location);
  if (!parsed) return location;
  const country = parsed.country === 'EU' ? 'European Union' : parsed.country ? regionNames.of(parsed.country) : undefined;
  return parsed.kind === 'region' ? `${country ?? 'unknown country'} (${parsed.region})` : (country ?? location);
}
