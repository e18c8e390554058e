import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../src/core/io';
import {
  dropSharedXrefs,
  examinationType,
  isPathogenLike,
  normDoid,
  normMesh,
  normQid,
  normUmls,
  requireColumns,
  splitList,
  treatmentType,
} from '../../../src/graph/open/common';
import { parseAxioms, parseDoXref } from '../../../src/graph/open/disease-ontology';
import { withIds } from '../../../src/graph/open/wikidata';
import { tempDir } from '../../helpers/tmp';

describe('identifier normalisation', () => {
  it('normDoid / normUmls / normMesh / normQid accept the spellings the sources use', () => {
    expect(['DOID:9352', 'DOID_9352', '9352', '"DOID:9352"'].map(normDoid)).toEqual(Array(4).fill('DOID:9352'));
    expect(normDoid('MESH:D1')).toBeUndefined();
    expect(['C0011860', 'UMLS_CUI:C0011860', 'umls:c0011860'].map(normUmls)).toEqual(Array(3).fill('C0011860'));
    expect(normUmls('C001186')).toBeUndefined();
    expect(['D003924', 'MESH:D003924'].map(normMesh)).toEqual(['D003924', 'D003924']);
    expect(normMesh('C535369')).toBe('C535369');
    expect(normQid('http://www.wikidata.org/entity/Q12204')).toBe('Q12204');
    expect(normQid('12204')).toBeUndefined();
  });

  it('parseDoXref maps DO prefixes to xref keys and ignores unused ones', () => {
    expect(parseDoXref('"UMLS_CUI:C0011860"')).toEqual(['umls', 'C0011860']);
    expect(parseDoXref('SNOMEDCT_US_2025_09_01:44054006')).toEqual(['snomedct', '44054006']);
    expect(parseDoXref('KEGG:H00409')).toBeUndefined();
  });
});

describe('list and axiom parsing', () => {
  it('splitList splits on commas not followed by a space', () => {
    expect(splitList('acute gastritis, with hemorrhage,ulcer')).toEqual(['acute gastritis, with hemorrhage', 'ulcer']);
    expect(splitList(' ')).toEqual([]);
  });

  it('withIds attaches a Q-id only to single-item lists (the export sorts labels and ids separately)', () => {
    expect(withIds('fever', 'Q38933')).toEqual([{ name: 'fever', qid: 'Q38933' }]);
    expect(withIds('cough,fever', 'Q35805,Q38933')).toEqual([{ name: 'cough', qid: undefined }, { name: 'fever', qid: undefined }]);
  });

  it('parseAxioms extracts quoted and bare targets and drops <genus> qualifiers and nested expressions', () => {
    expect(parseAxioms("'has symptom' some fever|'has material basis in' some 'Aspergillus <genus>'")).toEqual([
      { relation: 'has symptom', target: 'fever' },
      { relation: 'has material basis in', target: 'Aspergillus' },
    ]);
    expect(parseAxioms("'has material basis in' some ('X' and ('disease has location' some lung))")).toEqual([
      { relation: 'disease has location', target: 'lung' },
    ]);
  });
});

describe('keyword rules', () => {
  it('isPathogenLike accepts taxa and pathogen words, refuses diseases, risk factors and inheritance', () => {
    for (const yes of ['Borrelia burgdorferi', 'Hepatitis C virus', 'Brucella', 'Mycobacterium tuberculosis', 'Bacteria', 'HIV', 'Aspergillus <genus>', "Kaposi's sarcoma-associated herpesvirus"])
      expect(isPathogenLike(yes), yes).toBe(true);
    for (const no of ['smoking', 'infection', 'Down syndrome', 'Helicobacter pylori infectious disease', 'autosomal recessive inheritance', 'Indian childhood cirrhosis', 'Von Willebrand factor', 'T cell', 'mutation'])
      expect(isPathogenLike(no), no).toBe(false);
  });

  it('examinationType tells imaging from lab tests and refuses clinical examination', () => {
    expect(examinationType('magnetic-resonance imaging')).toBe('imaging');
    expect(examinationType('magnetic resonance angiography')).toBe('imaging');
    expect(examinationType('colonoscopy')).toBe('imaging');
    expect(examinationType('complete blood count')).toBe('lab_test');
    expect(examinationType('polymerase chain reaction')).toBe('lab_test');
    expect(examinationType('physical examination')).toBeUndefined();
    expect(examinationType('Centor criteria')).toBeUndefined();
  });

  it('treatmentType separates drugs, classes and non-drug treatments', () => {
    expect(treatmentType('metformin')).toBe('drug');
    expect(treatmentType('macrolides')).toBe('drug_class');
    expect(treatmentType('non-steroidal anti-inflammatory drug')).toBe('drug_class');
    expect(treatmentType('oxygen therapy')).toBe('non-drug');
    expect(treatmentType('healthy diet')).toBe('non-drug');
  });
});

describe('dropSharedXrefs and requireColumns', () => {
  it('dropSharedXrefs removes ids claimed by several entities', () => {
    const m = new Map([
      ['a', { mesh: ['D1', 'D2'], umls: ['C1'] }],
      ['b', { mesh: ['D2'] }],
    ]);
    dropSharedXrefs(m);
    expect(m.get('a')).toEqual({ mesh: ['D1'], umls: ['C1'] });
    expect(m.get('b')).toEqual({});
  });

  it('requireColumns throws an InputError naming the file and the missing column', () => {
    const file = path.join(tempDir('kg-hdr-'), 'x.tsv');
    fs.writeFileSync(file, '"id"\t"label"\n');
    expect(() => requireColumns(file, ['id', 'label'], '\t')).not.toThrow();
    expect(() => requireColumns(file, ['id', 'parent'], '\t')).toThrow(InputError);
    expect(() => requireColumns(file, ['id', 'parent'], '\t')).toThrow(/x\.tsv:1: missing required column "parent"/);
  });
});
