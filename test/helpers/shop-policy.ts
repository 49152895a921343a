/**
 * A small shop's policy used by the planner tests: one system shared by three purposes (crm), one shared
 * by a contract purpose and a bookkeeping purpose (orders).
 */
import { basePolicyDoc, policyFromDoc } from './policy';

export const shopPolicy = policyFromDoc(
  basePolicyDoc({
    systems: {
      crm: {
        connector: 'dynamodb',
        location: 'eu-north-1',
        fields: {
          name: { category: 'identity', anonymise: { strategy: 'redact', value: '[erased]' } },
          email: { category: 'contact', anonymise: { strategy: 'hmac' } },
          phone: { category: 'contact' },
          allergies: { category: 'health', anonymise: { strategy: 'remove' } },
        },
      },
      orders: {
        connector: 's3',
        location: 'SE',
        fields: {
          orderRef: { category: 'order' },
          name: { category: 'identity', anonymise: { strategy: 'redact' } },
          address: { category: 'contact', anonymise: { strategy: 'truncate', keep: 3 } },
        },
      },
      newsletter: {
        connector: 'http',
        location: 'US',
        transferSafeguard: 'EU-US DPF',
        fields: { email: { category: 'contact', anonymise: { strategy: 'hmac' } } },
      },
    },
    purposes: {
      customer: {
        legalBasis: 'contract',
        categories: ['identity', 'contact', 'order'],
        systems: ['crm', 'orders'],
        retention: { until: 'account-closed', keep: 'P3M' },
      },
      marketing: {
        legalBasis: 'consent',
        categories: ['contact'],
        systems: ['crm', 'newsletter'],
        retention: { until: 'unsubscribed' },
      },
      analytics: {
        legalBasis: 'legitimate-interest',
        categories: ['contact', 'health'],
        systems: ['crm'],
        retention: { keep: 'P1Y' },
        onExpiry: 'anonymise',
        onErasureRequest: 'anonymise',
      },
      bookkeeping: {
        legalBasis: 'legal-obligation',
        law: 'Bokföringslagen (1999:1078) 7 kap. 2 §',
        retainReason: 'Accounting records must be kept for seven years under the Swedish Bookkeeping Act.',
        categories: ['identity', 'order'],
        systems: ['orders'],
        retention: { from: { endOfYear: 'invoiced', fiscal: true }, keep: 'P7Y' },
      },
    },
  }),
);
