import { describe, expect, it } from 'vitest';
import type { Item } from '../../../src/rods/item';
import { anonymize, anonymizeText } from '../../../src/rods/filter/anonymize';

describe('anonymizeText', () => {
  const changed: [string, string][] = [
    ['Mr. John Smith, a 45-year-old man, presents.', 'Mr. [NAME], a 45-year-old man, presents.'],
    ['Mrs Jones has fever.', 'Mrs [NAME] has fever.'],
    ["Dr. O'Brien's patient", "Dr. [NAME]'s patient"],
    ['Seen by Prof. Anna Lee today.', 'Seen by Prof. [NAME] today.'],
    ['Patient name: Maria Garcia Lopez, 30 years', 'Patient name: [NAME], 30 years'],
    ['Admitted on 2023-04-05 with pain.', 'Admitted on [DATE] with pain.'],
    ['Admitted on 05/04/2023.', 'Admitted on [DATE].'],
    ['Seen 5/4/23 in clinic.', 'Seen [DATE] in clinic.'],
    ['Seen 12.03.2021 in clinic.', 'Seen [DATE] in clinic.'],
    ['On March 3, 2020 she fell.', 'On [DATE] she fell.'],
    ['On April 5th she fell.', 'On [DATE] she fell.'],
    ['On 5 April 2023 she fell.', 'On [DATE] she fell.'],
    ['On the 21st of Sept. she fell.', 'On the [DATE] she fell.'],
    ['Symptoms began in January 2019.', 'Symptoms began in [DATE].'],
    ['MRN: 00123456, admitted', 'MRN: [ID], admitted'],
    ['Medical record number 4471-22 is noted', 'Medical record number [ID] is noted'],
    ['patient ID A12345', 'patient ID [ID]'],
    ['Call (555) 123-4567 or +1 555 123 4567.', 'Call [PHONE] or [PHONE].'],
    ['Call 555-123-4567.', 'Call [PHONE].'],
    ['SSN 123-45-6789 on file', 'SSN [SSN] on file'],
    ['Email j.smith@hospital.org for results', 'Email [EMAIL] for results'],
  ];
  for (const [input, want] of changed) it(`anonymizeText(${JSON.stringify(input)})`, () => expect(anonymizeText(input).text).toBe(want));

  const untouched = [
    'A 45-year-old man with BP 120/80 mmHg and HR 88/min.',
    'Hb 13.5 g/dL, WBC 11,000/µL, platelets 150 × 10^9/L, K+ 3.2 mEq/L, pH 7.32, HbA1c 8.2%.',
    'Sodium 135-145 mEq/L; creatinine 1.2 mg/dL; INR 2.5; CD4 count 350/mm3.',
    'G2P1 at 32 weeks; type 2 diabetes since 2019; 2/3 of patients; 1:1000 epinephrine.',
    'Give 0.5 mg/kg every 6-8 hours for 3-5 days; ECG leads V1-V3; COVID-19; 12-lead ECG.',
    'MR and AS on echo; Dr appointment missed; an ID consult was requested; the patient may 5 times a day',
    'Temperature 38.5°C for 3 days; ratio 1.5.2 in the version; March fracture of the foot.',
  ];
  for (const text of untouched) it(`anonymizeText() leaves clinical numbers alone: ${JSON.stringify(text.slice(0, 40))}`, () => expect(anonymizeText(text)).toEqual({ text, counts: {} }));

  it('anonymizeText() counts per kind and honours kinds and placeholders', () => {
    const t = 'Dr. Adams saw Mr. Brown on 2023-01-02 (MRN 99887766).';
    expect(anonymizeText(t)).toEqual({ text: 'Dr. [NAME] saw Mr. [NAME] on [DATE] (MRN [ID]).', counts: { id: 1, date: 1, name: 2 } });
    expect(anonymizeText(t, { kinds: ['date'], placeholders: { email: '', id: '', ssn: '', phone: '', name: '', date: '<date>' } }).text).toBe(
      'Dr. Adams saw Mr. Brown on <date> (MRN 99887766).',
    );
  });

  it('anonymizeText() keeps impossible dates', () => {
    expect(anonymizeText('values 45/13/2020 and 2020-13-40').text).toBe('values 45/13/2020 and 2020-13-40');
  });
});

describe('anonymize', () => {
  const item = (id: string, question: string, options: Record<string, string>): Item => ({ id, origin: 'medqa', question, options, answer: 'A', type: 'curated' });

  it('anonymize() rewrites question and options, records counts in meta, and leaves clean items as they are', () => {
    const clean = item('c', 'A 45-year-old man has BP 160/100 mmHg. Best drug?', { A: 'Lisinopril', B: 'Aspirin' });
    const dirty = item('d', 'Mrs. White, seen on 01/02/2020, has fever.', { A: 'Call Dr. Green', B: 'Discharge' });
    const r = anonymize([clean, dirty]);
    expect(r.kept[0]).toBe(clean);
    expect(r.kept[1]).toEqual({ ...dirty, question: 'Mrs. [NAME], seen on [DATE], has fever.', options: { A: 'Call Dr. [NAME]', B: 'Discharge' }, meta: { anonymized: { date: 1, name: 2 } } });
    expect(r.rejected).toEqual([]);
    expect(r.counts).toEqual({ date: 1, name: 2 });
    expect(r.changed).toBe(1);
  });

  it('anonymize() rejects an item whose options become identical', () => {
    const r = anonymize([item('d', 'When was the first dose given?', { A: '2020-01-02', B: '2020-02-03', C: 'Never' })]);
    expect(r.kept).toEqual([]);
    expect(r.rejected.map((x) => x.reason)).toEqual(['anonymisation made options identical (A = B)']);
    expect(r.rejected[0].item.options).toEqual({ A: '[DATE]', B: '[DATE]', C: 'Never' });
  });
});
