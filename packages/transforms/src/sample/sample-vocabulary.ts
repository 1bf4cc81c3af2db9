/**
 * The words sample rows are made of. Plain lists hold no delimiter, quote, CR or LF; the lists that do
 * (notes, companies) are quoted by the generator once per delimiter, never per row.
 * Names come as [display, ascii] so e-mail addresses stay ASCII the way CRMs usually store them.
 */

export const FIRST_NAMES: readonly (readonly [string, string])[] = [
  ['Anna', 'anna'], ['Lukas', 'lukas'], ['Zoë', 'zoe'], ['José', 'jose'], ['François', 'francois'],
  ['Søren', 'soren'], ['Łukasz', 'lukasz'], ['Małgorzata', 'malgorzata'], ['Jürgen', 'jurgen'],
  ['Chloé', 'chloe'], ['Emma', 'emma'], ['Liam', 'liam'], ['Olivia', 'olivia'], ['Noah', 'noah'],
  ['Sofía', 'sofia'], ['Mateo', 'mateo'], ['Ines', 'ines'], ['João', 'joao'], ['Björn', 'bjorn'],
  ['Ayşe', 'ayse'], ['Nguyễn', 'nguyen'], ['太郎', 'taro'], ['花子', 'hanako'], ['Ольга', 'olga'],
  ['Σοφία', 'sofia'], ['Mia', 'mia'], ['Ben', 'ben'], ['Léa', 'lea'], ['Hannah', 'hannah'],
  ['Omar', 'omar'], ['Priya', 'priya'], ['Chen', 'chen'], ['Ana', 'ana'], ['Tomás', 'tomas'],
  ['Eva', 'eva'], ['Max', 'max'], ['Ida', 'ida'], ['Paul', 'paul'], ['Marie', 'marie'], ['David', 'david'],
];

export const LAST_NAMES: readonly (readonly [string, string])[] = [
  ['Müller', 'mueller'], ['Schmidt', 'schmidt'], ['García', 'garcia'], ['Dubois', 'dubois'],
  ['Kowalski', 'kowalski'], ['Nowak', 'nowak'], ['Rossi', 'rossi'], ['Silva', 'silva'],
  ['Andersen', 'andersen'], ['Öztürk', 'ozturk'], ['Smith', 'smith'], ['Johnson', 'johnson'],
  ['Brown', 'brown'], ['Martin', 'martin'], ['Bernard', 'bernard'], ['Fernández', 'fernandez'],
  ["O'Brien", 'obrien'], ['van der Berg', 'vanderberg'], ['Weiß', 'weiss'], ['Lefèvre', 'lefevre'],
  ['Håkansson', 'hakansson'], ['Dvořák', 'dvorak'], ['山田', 'yamada'], ['佐藤', 'sato'],
  ['Иванова', 'ivanova'], ['Παπαδόπουλος', 'papadopoulos'], ['Kim', 'kim'], ['Patel', 'patel'],
  ['Wang', 'wang'], ['Costa', 'costa'], ['Jensen', 'jensen'], ['Novak', 'novak'], ['Fischer', 'fischer'],
  ['Moreau', 'moreau'], ['Santos', 'santos'], ['Lopez', 'lopez'],
];

/** [city, ISO country code]. */
export const CITIES: readonly (readonly [string, string])[] = [
  ['München', 'DE'], ['Berlin', 'DE'], ['Köln', 'DE'], ['Hamburg', 'DE'], ['Kraków', 'PL'], ['Łódź', 'PL'],
  ['São Paulo', 'BR'], ['Rio de Janeiro', 'BR'], ['東京', 'JP'], ['大阪', 'JP'], ['Zürich', 'CH'],
  ['Genève', 'CH'], ['Paris', 'FR'], ['Lyon', 'FR'], ['Besançon', 'FR'], ['Malmö', 'SE'], ['Göteborg', 'SE'],
  ['Reykjavík', 'IS'], ['İstanbul', 'TR'], ['Москва', 'RU'], ['Αθήνα', 'GR'], ['Québec', 'CA'],
  ['Montréal', 'CA'], ['Bogotá', 'CO'], ['Ciudad de México', 'MX'], ['New York', 'US'], ['San Francisco', 'US'],
  ['Chicago', 'US'], ['London', 'GB'], ['Manchester', 'GB'], ['Dublin', 'IE'], ['Lisboa', 'PT'],
  ['Madrid', 'ES'], ['A Coruña', 'ES'], ['Milano', 'IT'], ['Praha', 'CZ'], ['Wien', 'AT'], ['Amsterdam', 'NL'],
];

/** Telephone country codes of the countries above. */
export const CALLING_CODES: Readonly<Record<string, string>> = {
  DE: '49', PL: '48', BR: '55', JP: '81', CH: '41', FR: '33', SE: '46', IS: '354', TR: '90', RU: '7', GR: '30',
  CA: '1', CO: '57', MX: '52', US: '1', GB: '44', IE: '353', PT: '351', ES: '34', IT: '39', CZ: '420', AT: '43',
  NL: '31',
};

export const LOYALTY_TIERS: readonly string[] = ['bronze', 'bronze', 'bronze', 'silver', 'silver', 'gold', 'platinum'];

export const CATEGORIES: readonly string[] = [
  'Home & Garden', 'Sports & Outdoors', 'Health & Beauty', 'Books', 'Electronics', 'Toys', 'Fashion',
  'Shoes', 'Grocery', 'Pet Supplies', 'Music', 'Office', 'Kids & Baby', 'Jewelry',
];

export const EMAIL_DOMAINS: readonly string[] = [
  'example.com', 'example.org', 'example.net', 'mail.example', 'post.example.de', 'correo.example.es',
];

/** Companies: `&`, apostrophes, quotes and non-ASCII; none with a comma (those are planted separately). */
export const COMPANIES: readonly string[] = [
  'Acme GmbH', 'Smith & Sons', 'Müller Bäckerei', '株式会社ヤマダ', "O'Brien Ltd", '"The Corner" Café',
  'Nordwind AB', 'Dupont SARL', 'Kowalski Sp. z o.o.', 'Globex Corp', 'Initech', 'Umbrella Ltd',
  'Tech+Co', 'Zürich Versicherung', 'Ślusarz & Syn', 'Café "Bom Dia"',
];

/** Companies whose name holds a comma: legal CSV, a value bulkpipe rejects by default. */
export const COMPANIES_WITH_COMMA: readonly string[] = ['Johnson, Johnson & Co', 'Brown, Black, and White LLP', 'Weber, Fischer & Partner'];

/** Notes: `%`, `&`, `+`, `=`, doubled quotes, non-ASCII and an astral emoji; no comma, CR or LF. */
export const NOTES: readonly string[] = [
  'Prefers email contact', 'Asked about the 20% discount', 'Came via utm_source=newsletter&utm_medium=email',
  'VIP since 2019 +1 referral', 'Said "call me after 5pm"', 'Größe M; bevorzugt Versand per DHL',
  'Paid with card ending 4242 🎉', 'Returned item #4471 (size too small)', 'Wants catalogue by post',
  'Complained about late delivery', 'Gift wrap every order', 'Ref=AB12&CD34', 'Loves the "Summer" collection',
  'Intéressée par la nouvelle gamme', 'Cliente desde 2015', '50%+ of orders via app', 'a+b=c promo winner',
  '東京の店舗で購入', 'Do not call', 'Student discount applied',
];

/** Notes holding a comma or a line feed: quoted CSV, rejected by bulkpipe by default. */
export const NOTES_WITH_FORBIDDEN: readonly string[] = [
  'Moved from Lyon, France', 'Likes shoes, bags and belts', 'Call back\nafter the holidays',
  'Address change pending, see ticket 8812', 'Said "no, thanks" to the survey', 'Line one\nline two\nline three',
];
