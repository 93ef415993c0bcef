// Per-country facts for the demo data: names, places, postal code shapes and mobile number shapes.
// Phone shapes are candidates; sample-data.ts keeps only numbers libphonenumber-js calls valid.
import type { Random } from './prng.ts';

export type CountryCode = 'US' | 'GB' | 'DE' | 'FR' | 'CA' | 'AU' | 'NL';

export interface Place {
  city: string;
  region: string;
}

export interface Locale {
  country: CountryCode;
  /** Share of customers living there (the weights add up to 1). */
  weight: number;
  firstNames: readonly string[];
  lastNames: readonly string[];
  streets: readonly string[];
  places: readonly Place[];
  postalCode(random: Random): string;
  /** Street line in the country's usual order. */
  streetLine(random: Random, street: string): string;
  /** A candidate mobile number in E.164. */
  mobileCandidate(random: Random): string;
}

const upper = 'ABCDEFGHJKLMNPRSTUVWXYZ';
const letter = (random: Random) => upper[random.int(0, upper.length - 1)];

export const LOCALES: readonly Locale[] = [
  {
    country: 'US',
    weight: 0.35,
    firstNames: [
      'James',
      'Mary',
      'Robert',
      'Patricia',
      'Michael',
      'Jennifer',
      'David',
      'Linda',
      'Maria',
      'Daniel',
      'Emily',
      'Jose',
      'Ashley',
      'Tyler',
      'Keisha',
      'Brandon',
      'Hannah',
      'Marcus',
      'Olivia',
      'Ethan',
    ],
    lastNames: [
      'Smith',
      'Johnson',
      'Williams',
      'Brown',
      'Jones',
      'Garcia',
      'Miller',
      'Davis',
      'Rodriguez',
      'Martinez',
      'Hernandez',
      'Lopez',
      'Wilson',
      'Anderson',
      'Thomas',
      'Nguyen',
      'Washington',
      'Kim',
      "O'Brien",
    ],
    streets: [
      'Main St',
      'Oak Ave',
      'Maple Dr',
      'Cedar Ln',
      'Pine St',
      'Elm St',
      'Washington Blvd',
      'Lake Shore Dr',
    ],
    places: [
      { city: 'New York', region: 'NY' },
      { city: 'Chicago', region: 'IL' },
      { city: 'San Francisco', region: 'CA' },
      { city: 'Austin', region: 'TX' },
      { city: 'Seattle', region: 'WA' },
      { city: 'Boston', region: 'MA' },
      { city: 'Denver', region: 'CO' },
      { city: 'Atlanta', region: 'GA' },
      { city: 'Miami', region: 'FL' },
    ],
    postalCode: (r) => r.digits(5),
    streetLine: (r, street) => `${r.int(1, 9999)} ${street}`,
    mobileCandidate: (r) =>
      `+1${r.pick(['212', '312', '415', '512', '206', '617', '303', '404', '305'])}${r.int(2, 9)}${r.digits(2)}${r.digits(4)}`,
  },
  {
    country: 'GB',
    weight: 0.15,
    firstNames: [
      'Oliver',
      'Amelia',
      'George',
      'Isla',
      'Harry',
      'Ava',
      'Jack',
      'Mia',
      'Freddie',
      'Poppy',
      'Alfie',
      'Sophie',
      'Rhys',
      'Siobhan',
    ],
    lastNames: [
      'Taylor',
      'Evans',
      'Thomas',
      'Roberts',
      'Walker',
      'Wright',
      'Hughes',
      'Edwards',
      'Patel',
      'Khan',
      'Campbell',
      'MacDonald',
    ],
    streets: ['High Street', 'Station Road', 'Church Lane', 'Victoria Road', 'Green Lane', 'Mill Lane'],
    places: [
      { city: 'London', region: 'Greater London' },
      { city: 'Manchester', region: 'Greater Manchester' },
      { city: 'Bristol', region: 'Bristol' },
      { city: 'Leeds', region: 'West Yorkshire' },
      { city: 'Edinburgh', region: 'Scotland' },
      { city: 'Cardiff', region: 'Wales' },
    ],
    postalCode: (r) => `${letter(r)}${letter(r)}${r.int(1, 20)} ${r.int(1, 9)}${letter(r)}${letter(r)}`,
    streetLine: (r, street) => `${r.int(1, 250)} ${street}`,
    mobileCandidate: (r) => `+447${r.int(4, 9)}${r.digits(8)}`,
  },
  {
    country: 'DE',
    weight: 0.12,
    firstNames: [
      'Lukas',
      'Anna',
      'Jonas',
      'Lea',
      'Felix',
      'Lena',
      'Maximilian',
      'Sophie',
      'Paul',
      'Marie',
      'Jürgen',
      'Käthe',
    ],
    lastNames: [
      'Müller',
      'Schmidt',
      'Schneider',
      'Fischer',
      'Weber',
      'Meyer',
      'Wagner',
      'Becker',
      'Hoffmann',
      'Schäfer',
      'Koch',
    ],
    streets: ['Hauptstraße', 'Schulstraße', 'Gartenstraße', 'Bahnhofstraße', 'Lindenweg', 'Bergstraße'],
    places: [
      { city: 'Berlin', region: 'Berlin' },
      { city: 'München', region: 'Bayern' },
      { city: 'Hamburg', region: 'Hamburg' },
      { city: 'Köln', region: 'Nordrhein-Westfalen' },
      { city: 'Frankfurt am Main', region: 'Hessen' },
      { city: 'Leipzig', region: 'Sachsen' },
    ],
    postalCode: (r) => `${r.int(1, 9)}${r.digits(4)}`,
    streetLine: (r, street) => `${street} ${r.int(1, 180)}`,
    mobileCandidate: (r) => `+49${r.pick(['151', '152', '160', '162', '170', '171', '176'])}${r.digits(8)}`,
  },
  {
    country: 'FR',
    weight: 0.1,
    firstNames: [
      'Gabriel',
      'Louise',
      'Léo',
      'Chloé',
      'Raphaël',
      'Emma',
      'Hugo',
      'Inès',
      'Arthur',
      'Zoé',
      'Noël',
    ],
    lastNames: [
      'Martin',
      'Bernard',
      'Dubois',
      'Thomas',
      'Robert',
      'Richard',
      'Petit',
      'Durand',
      'Leroy',
      'Moreau',
      'Lefèvre',
    ],
    streets: [
      'rue de la Paix',
      'avenue Victor Hugo',
      'rue du Moulin',
      'boulevard Voltaire',
      'rue des Écoles',
    ],
    places: [
      { city: 'Paris', region: 'Île-de-France' },
      { city: 'Lyon', region: 'Auvergne-Rhône-Alpes' },
      { city: 'Marseille', region: "Provence-Alpes-Côte d'Azur" },
      { city: 'Toulouse', region: 'Occitanie' },
      { city: 'Nantes', region: 'Pays de la Loire' },
      { city: 'Lille', region: 'Hauts-de-France' },
    ],
    postalCode: (r) => `${r.int(10, 95)}${r.digits(3)}`,
    streetLine: (r, street) => `${r.int(1, 120)} ${street}`,
    mobileCandidate: (r) => `+33${r.pick(['6', '7'])}${r.digits(8)}`,
  },
  {
    country: 'CA',
    weight: 0.1,
    firstNames: [
      'Liam',
      'Charlotte',
      'Noah',
      'Chloe',
      'William',
      'Emma',
      'Benjamin',
      'Florence',
      'Mathis',
      'Aiden',
    ],
    lastNames: [
      'Tremblay',
      'Gagnon',
      'Roy',
      'Côté',
      'Bouchard',
      'Smith',
      'Brown',
      'MacLeod',
      'Wong',
      'Singh',
    ],
    streets: ['Yonge St', 'Queen St W', 'Rue Sainte-Catherine', 'Granville St', 'King St E', 'Jasper Ave'],
    places: [
      { city: 'Toronto', region: 'ON' },
      { city: 'Montréal', region: 'QC' },
      { city: 'Vancouver', region: 'BC' },
      { city: 'Calgary', region: 'AB' },
      { city: 'Ottawa', region: 'ON' },
      { city: 'Halifax', region: 'NS' },
    ],
    postalCode: (r) => `${letter(r)}${r.int(0, 9)}${letter(r)} ${r.int(0, 9)}${letter(r)}${r.int(0, 9)}`,
    streetLine: (r, street) => `${r.int(1, 3000)} ${street}`,
    mobileCandidate: (r) =>
      `+1${r.pick(['416', '647', '514', '604', '403', '613', '902'])}${r.int(2, 9)}${r.digits(2)}${r.digits(4)}`,
  },
  {
    country: 'AU',
    weight: 0.1,
    firstNames: [
      'Jack',
      'Charlotte',
      'Oliver',
      'Matilda',
      'William',
      'Isla',
      'Lachlan',
      'Grace',
      'Cooper',
      'Ruby',
    ],
    lastNames: [
      'Smith',
      'Jones',
      'Williams',
      'Brown',
      'Wilson',
      'Taylor',
      'Nguyen',
      'Kelly',
      'Ryan',
      'Murphy',
    ],
    streets: ['George St', 'Collins St', 'Queen St', 'Hay St', 'King William St', 'Chapel St'],
    places: [
      { city: 'Sydney', region: 'NSW' },
      { city: 'Melbourne', region: 'VIC' },
      { city: 'Brisbane', region: 'QLD' },
      { city: 'Perth', region: 'WA' },
      { city: 'Adelaide', region: 'SA' },
      { city: 'Hobart', region: 'TAS' },
    ],
    postalCode: (r) => `${r.int(2, 7)}${r.digits(3)}`,
    streetLine: (r, street) => `${r.int(1, 400)} ${street}`,
    mobileCandidate: (r) => `+614${r.int(0, 9)}${r.digits(7)}`,
  },
  {
    country: 'NL',
    weight: 0.08,
    firstNames: ['Daan', 'Emma', 'Sem', 'Julia', 'Lucas', 'Mila', 'Levi', 'Tess', 'Finn', 'Sophie', 'Bram'],
    lastNames: [
      'de Jong',
      'Jansen',
      'de Vries',
      'van den Berg',
      'van Dijk',
      'Bakker',
      'Visser',
      'Smit',
      'Meijer',
    ],
    streets: ['Kerkstraat', 'Dorpsstraat', 'Stationsweg', 'Molenweg', 'Schoolstraat', 'Prinsengracht'],
    places: [
      { city: 'Amsterdam', region: 'Noord-Holland' },
      { city: 'Rotterdam', region: 'Zuid-Holland' },
      { city: 'Utrecht', region: 'Utrecht' },
      { city: 'Eindhoven', region: 'Noord-Brabant' },
      { city: 'Groningen', region: 'Groningen' },
    ],
    postalCode: (r) => `${r.int(1000, 9999)} ${letter(r)}${letter(r)}`,
    streetLine: (r, street) => `${street} ${r.int(1, 300)}`,
    mobileCandidate: (r) => `+316${r.digits(8)}`,
  },
];

export function pickLocale(random: Random): Locale {
  let roll = random.next();
  for (const locale of LOCALES) {
    roll -= locale.weight;
    if (roll < 0) return locale;
  }
  return LOCALES[0];
}
